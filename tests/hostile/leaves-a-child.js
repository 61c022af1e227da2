// Starts a child process that would outlive it, writes its pid where the test can find it
// (PID_FILE), then keeps the event loop busy until the step's budget kills the worker.
const fs = require('fs');
const {spawn} = require('child_process');

exports.onExecutePreUserRegistration = async (event, api) => {
  const child = spawn('sleep', ['300'], {stdio: 'ignore'});
  child.unref();
  fs.writeFileSync(event.secrets.PID_FILE, String(child.pid));
  for (;;) {}
};
