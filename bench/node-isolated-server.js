// Second baseline for serve_bench.sh: what a Node developer would write to isolate the scripts
// from the server — one `http` process, and child processes (child_process.fork, Node's IPC
// channel) that run the same Hook and Action. One execution per child at a time, the whole flow
// in one round trip, a child past the budget killed and replaced. The decision JSON matches the
// in-process baseline's (node-baseline-server.js), which holds the flow's logic.
// Usage: node node-isolated-server.js PORT CHILDREN [BUDGET_MS]
'use strict';
const {fork} = require('child_process');
const http = require('http');
const path = require('path');

if (process.argv[2] === '--child') {
  const {decide} = require(path.join(__dirname, 'node-baseline-server.js'));
  process.on('message', async ({id, event}) => {
    let decision;
    try {
      decision = await decide(event);
    } catch (e) {
      decision = {outcome: 'error', message: String(e && e.message)};
    }
    process.send({id, decision});
  });
  return;
}

const port = Number(process.argv[2]);
const children = Number(process.argv[3] || 2);
const budgetMs = Number(process.argv[4] || 5000);

const idle = [];
const waiting = [];  // {event, answer} for when a child is free
let nextId = 1;

function spawn() {
  const child = fork(__filename, ['--child'], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
  child.job = null;
  child.on('message', ({id, decision}) => {
    const job = child.job;
    if (!job || job.id !== id) return;
    clearTimeout(job.timer);
    child.job = null;
    job.answer(200, decision);
    release(child);
  });
  child.on('exit', () => {
    const job = child.job;
    child.job = null;
    const at = idle.indexOf(child);
    if (at >= 0) idle.splice(at, 1);
    if (job) {
      clearTimeout(job.timer);
      job.answer(500, {outcome: 'error', message: 'the child process ended'});
    }
    release(spawn());
  });
  return child;
}

function release(child) {
  const next = waiting.shift();
  if (next) return start(child, next);
  idle.push(child);
}

function start(child, {event, answer}) {
  const job = {id: nextId++, answer};
  job.timer = setTimeout(() => {
    if (child.job === job) {
      child.job = null;
      answer(500, {outcome: 'error', message: 'the flow ran past its budget'});
      child.kill('SIGKILL');
    }
  }, budgetMs);
  child.job = job;
  child.send({id: job.id, event});
}

for (let i = 0; i < children; i++) idle.push(spawn());

http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    let event;
    try { event = JSON.parse(body); } catch (e) { res.writeHead(400); return res.end(); }
    const answer = (status, decision) => {
      res.writeHead(status, {'content-type': 'application/json'});
      res.end(JSON.stringify(decision));
    };
    const child = idle.shift();
    if (child) start(child, {event, answer}); else waiting.push({event, answer});
  });
}).listen(port, '127.0.0.1');
