// Baseline for pool_bench: the same handler called in-process by a bare Node loop, with an api
// object that records calls the way prereg's runner does. Usage: node node-baseline.js N EVENT_JSON
// Prints "baseline <calls> <seconds>".
const path = require('path');
const {onExecutePreUserRegistration: handler} = require(path.join(__dirname, 'trivial-action.js'));

async function main() {
  const n = Number(process.argv[2]);
  const event = JSON.parse(process.argv[3]);
  const calls = [];
  const api = {
    access: {deny: (...a) => { calls.push(a); return api; }},
    user: {setAppMetadata: (...a) => { calls.push(a); return api; }},
  };
  for (let i = 0; i < 1000; i++) await handler(event, api);  // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // Each call gets its own event copy, as each prereg execution gets its own event.
    await handler(JSON.parse(JSON.stringify(event)), api);
    calls.length = 0;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`baseline ${n} ${seconds}`);
}
main();
