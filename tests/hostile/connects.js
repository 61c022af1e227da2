// Connects to each address in the TARGETS secret (comma-separated HOST:PORT), as a script after
// the cache's Redis or a cloud metadata service would, and sends one UDP datagram to the first.
const net = require('net');
const dgram = require('dgram');

function tryConnect(target) {
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(i + 1));
  return new Promise((resolve) => {
    const socket = net.connect({host, port});
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.on('connect', () => {
      socket.end('FLUSHALL\r\n');
      resolve('connected');
    });
    socket.on('error', (e) => resolve(`refused: ${e.message}`));
  });
}

function trySend(target) {
  const i = target.lastIndexOf(':');
  try {
    const s = dgram.createSocket('udp4');
    s.send('x', Number(target.slice(i + 1)), target.slice(0, i), () => s.close());
    return 'sent';
  } catch (e) {
    return `refused: ${e.message}`;
  }
}

exports.onExecutePreUserRegistration = async (event, api) => {
  const targets = event.secrets.TARGETS.split(',');
  const results = [];  // in the order of TARGETS (metadata keys cannot hold the dots of an address)
  for (const t of targets) results.push(await tryConnect(t));
  api.user.setAppMetadata('tcp', results);
  api.user.setAppMetadata('udp', trySend(targets[0]));
};
