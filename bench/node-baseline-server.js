// Baseline for serve_bench.sh: what a team could write with plain Node instead of prereg — an
// http server, in as many cluster processes as prereg has workers, running the same Hook and
// Action in-process on each sign-up and answering with a comparable decision JSON.
// Usage: node node-baseline-server.js PORT PROCESSES
const cluster = require('cluster');
const http = require('http');
const path = require('path');

const port = Number(process.argv[2]);
const processes = Number(process.argv[3] || 2);

// The flow, in-process: node-isolated-server.js runs this same function in its children.
function loadFlow() {
  class PreUserRegistrationError extends Error {
    constructor(message, friendlyMessage) {
      super(message);
      this.name = 'PreUserRegistrationError';
      this.friendlyMessage = friendlyMessage || message;
    }
  }
  global.PreUserRegistrationError = PreUserRegistrationError;
  const hook = require(path.join(__dirname, 'bench-hook.js'));
  const {onExecutePreUserRegistration: action} = require(path.join(__dirname, 'bench-action.js'));

  async function decide(event) {
    const app = {}, user = {};
    let denial = null;
    const u = event.user || {};
    await new Promise((resolve) => hook(
      {tenant: event.tenant && event.tenant.id, email: u.email, username: u.username,
       emailVerified: false, phoneNumberVerified: false, user_metadata: u.user_metadata || {},
       app_metadata: u.app_metadata || {}},
      {request: {ip: event.request.ip, language: event.request.language}, webtask: {secrets: {}}},
      (err, res) => {
        if (err) denial = {reason: err.message, user_message: err.friendlyMessage || null};
        else if (res && res.user) Object.assign(app, res.user.app_metadata || {});
        resolve();
      }));
    if (!denial) {
      const api = {
        access: {deny: (r, m) => { denial = denial || {reason: r, user_message: m || null}; return api; }},
        user: {
          setAppMetadata: (k, v) => { app[k] = v; return api; },
          setUserMetadata: (k, v) => { user[k] = v; return api; },
        },
      };
      await action(JSON.parse(JSON.stringify(event)), api);
    }
    return denial ? {outcome: 'deny', denial} : {outcome: 'allow', user: {app_metadata: app, user_metadata: user}};
  }
  return decide;
}

if (require.main !== module) {
  exports.decide = loadFlow();
} else if (cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
} else {
  const decide = loadFlow();

  http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      let event;
      try { event = JSON.parse(body); } catch (e) { res.writeHead(400); return res.end(); }
      const decision = await decide(event);
      res.writeHead(200, {'content-type': 'application/json'});
      res.end(JSON.stringify(decision));
    });
  }).listen(port, '127.0.0.1');
}
