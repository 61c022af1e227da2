// A stand-in risk service for the examples and tests: POST {ip, email} with
// "Authorization: Bearer <key>" and get {score}. Listens on 127.0.0.1, on the port given as the
// first argument (0 picks a free one), and prints "listening <port>" once ready.
const http = require('http');

const KEY = process.env.RISK_API_KEY || 'test-key';
const server = http.createServer((req, res) => {
  if (req.method !== 'POST') { res.writeHead(405); return res.end(); }
  if (req.headers.authorization !== `Bearer ${KEY}`) { res.writeHead(401); return res.end(); }
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const {ip = '', email = ''} = JSON.parse(body || '{}');
    const score = ip.startsWith('198.51.100.') || email.endsWith('@mailinator.com') ? 95 : 10;
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({score}));
  });
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
