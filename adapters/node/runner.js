'use strict';
// prereg's Node worker. It applies no rule of its own: it loads scripts as CommonJS modules,
// calls them, and reports what they did, in order, for the C++ engine to judge.
//
// Protocol: one JSON document per line.
//   fd 0 (stdin)  engine -> worker   {t:'load', id, script}
//                                    {t:'exec', id, script, kind:'action', event}
//                                    {t:'exec', id, script, kind:'hook', user, context}
//   fd 3          worker -> engine   {t:'ready', pid, node}
//                                    {t:'loaded', id, kind} | {t:'loaded', id, error}
//                                    {t:'sync', id, calls, call}     (then blocks on fd 4)
//                                    {t:'done', id, calls, end:{kind:'returned'|'threw', message}}
//                                    {t:'exit', code}
//   fd 4          engine -> worker   {r: <result of the synchronous call>}
// `calls` is the ordered list of what the script did since the last report:
//   {m:'access.deny'|'user.setAppMetadata'|..., a:[arg, ...]}, {m:'log', line},
//   {m:'cb', e:<cb error description>, r:<response>}, {m:'throw', message}.
// An argument is {j: <JSON>} or {k: 'undefined'|'function'|'symbol'|'bigint'|'nonfinite'|'cycle'}.

const fs = require('fs');
const path = require('path');
const util = require('util');
const Module = require('module');

const REQUEST_FD = 0;
const REPLY_FD = 3;
const SYNC_FD = 4;
// After reporting, poll for the next request this long before sleeping in the event loop: the
// engine usually sends it within microseconds, and waking from epoll costs tens of them.
const SPIN_US = Number((process.argv.find((a) => a.startsWith('--spin-us=')) || '=100').split('=')[1]);
// Console output per execution; past it lines are dropped here, and the engine adds the marker.
const MAX_LOG_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Output to the engine.

function writeAll(fd, text) {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

function send(msg) {
  writeAll(REPLY_FD, JSON.stringify(msg) + '\n');
}

const syncBuf = Buffer.alloc(64 * 1024);
function readSyncLine() {
  let text = '';
  for (;;) {
    let n;
    try {
      n = fs.readSync(SYNC_FD, syncBuf, 0, syncBuf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) throw new Error('prereg: the engine closed the synchronous channel');
    text += syncBuf.toString('utf8', 0, n);
    if (text.endsWith('\n')) return JSON.parse(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Values as the engine needs them.

function encode(v) {
  switch (typeof v) {
    case 'undefined': return {k: 'undefined'};
    case 'function': return {k: 'function'};
    case 'symbol': return {k: 'symbol'};
    case 'bigint': return {k: 'bigint'};
    case 'number': return Number.isFinite(v) ? {j: v} : {k: 'nonfinite'};
    case 'string':
    case 'boolean': return {j: v};
    default: break;
  }
  if (v === null) return {j: null};
  try {
    const text = JSON.stringify(v);  // toJSON, Dates, dropped undefined members: as Auth0 does
    return text === undefined ? {k: 'undefined'} : {j: JSON.parse(text)};
  } catch (e) {
    return /BigInt/i.test(String(e && e.message)) ? {k: 'bigint'} : {k: 'cycle'};
  }
}

function safeString(x) {
  try {
    return String(x);
  } catch (e) {
    return Object.prototype.toString.call(x);
  }
}

// Where in `script` an error was raised, from its stack: " (at /path/x.js:12:7)".
function locate(e, script) {
  const stack = e && typeof e.stack === 'string' ? e.stack : '';
  for (const line of stack.split('\n')) {
    const i = line.indexOf(script + ':');
    if (i >= 0) {
      const m = /^(\d+):(\d+)/.exec(line.slice(i + script.length + 1));
      if (m) return ` (at ${script}:${m[1]}:${m[2]})`;
    }
  }
  return '';
}

function describeError(e, script) {
  if (e instanceof Error || (e && typeof e === 'object' && 'message' in e)) {
    const name = e.name || 'Error';
    return `${name}: ${safeString(e.message)}${locate(e, script)}`;
  }
  return `threw ${typeof e === 'string' ? JSON.stringify(e) : safeString(e)}`;
}

// ---------------------------------------------------------------------------------------------
// Hooks' global error class (Auth0's ExtensibilityUserError subclass).

class PreUserRegistrationError extends Error {
  constructor(message, friendlyMessage) {
    super(message);
    this.name = 'PreUserRegistrationError';
    this.friendlyMessage = friendlyMessage || message;
  }
}

function describeCbError(err) {
  if (!err) return {t: false};
  const pur = err instanceof PreUserRegistrationError ||
      (typeof err === 'object' && err.name === 'PreUserRegistrationError');
  let message;
  if (err instanceof Error) {
    message = safeString(err.message);
  } else {
    message = err.message ? safeString(err.message) : safeString(err);
  }
  const out = {t: true, pur, message};
  if (pur && err.friendlyMessage !== undefined && err.friendlyMessage !== null) {
    out.friendly = safeString(err.friendlyMessage);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Module loading. Auth0 Hooks may pin versions in require('name@1.2.3'): such a request resolves
// to the installed `name`, so Hooks run unmodified.

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function(request, ...rest) {
  try {
    return originalResolve.call(this, request, ...rest);
  } catch (e) {
    const m = /^((?:@[^/@]+\/)?[^/@]+)@[^/]+$/.exec(request);
    if (!m || e.code !== 'MODULE_NOT_FOUND') throw e;
    return originalResolve.call(this, m[1], ...rest);
  }
};

function describeLoadError(e, script) {
  const dir = path.dirname(script);
  if (e instanceof SyntaxError) {
    const first = String(e.stack || '').split('\n')[0];
    const line = first.startsWith(script + ':') ? first.slice(script.length + 1) : '';
    return `${script}${line ? ' line ' + line : ''}: syntax error: ${e.message}. ` +
        `Fix the script until \`node --check ${script}\` passes.`;
  }
  if (e && e.code === 'MODULE_NOT_FOUND') {
    const m = /Cannot find module '([^']+)'/.exec(e.message);
    const name = m ? m[1] : '?';
    return `${script}${locate(e, script)}: cannot find module '${name}'. ` +
        `Install it beside the script (cd ${dir} && npm install ${name.replace(/@[^/@]*$/, '') ||
        name}), or remove the require.`;
  }
  return `${script}: threw while loading: ${describeError(e, script)}. ` +
      'Top-level code runs when the flow loads and must not throw.';
}

// script path + generation -> {kind, fn} or {error}. A generation the worker has not seen for a
// script evaluates the file afresh (a reloaded flow sees edits); older generations keep theirs.
const loaded = new Map();
const generationOf = new Map();  // script path -> the generation in require.cache

function load(script, gen = 0) {
  const id = `${gen}\0${script}`;
  let entry = loaded.get(id);
  if (entry) return entry;
  if (generationOf.has(script) && generationOf.get(script) !== gen) delete require.cache[script];
  generationOf.set(script, gen);
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  try {
    const exported = require(script);
    if (exported && typeof exported.onExecutePreUserRegistration === 'function') {
      entry = {kind: 'action', fn: exported.onExecutePreUserRegistration};
    } else if (typeof exported === 'function') {
      entry = {kind: 'hook', fn: exported};
    } else {
      entry = {
        error: `${script}: exports neither a Hook (module.exports = function (user, context, ` +
            'cb) {...}) nor an Action (exports.onExecutePreUserRegistration = async (event, ' +
            'api) => {...}).',
      };
    }
  } catch (e) {
    entry = {error: describeLoadError(e, script)};
  }
  loaded.set(id, entry);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Executions. One at a time per worker; `current` is the one running.

let current = null;

function report(ex, msg) {
  msg.id = ex.id;
  msg.calls = ex.calls;
  ex.calls = [];
  send(msg);
}

function finish(ex, end) {
  if (ex.done) return;
  ex.done = true;
  if (current === ex) current = null;
  report(ex, {t: 'done', end});
  spinForRequest();
}

function record(ex, method, args) {
  if (!ex.done) ex.calls.push({m: method, a: Array.from(args, encode)});
}

function syncCall(ex, method, args) {
  if (ex.done) return undefined;
  ex.calls.push({m: method, a: args.map(encode)});
  const call = ex.calls.pop();
  report(ex, {t: 'sync', call});
  const answer = readSyncLine();
  return answer.r === null ? undefined : answer.r;
}

function makeApi(ex) {
  const api = {
    access: {deny(...a) { record(ex, 'access.deny', a); return api; }},
    validation: {error(...a) { record(ex, 'validation.error', a); return api; }},
    user: {
      setAppMetadata(...a) { record(ex, 'user.setAppMetadata', a); return api; },
      setUserMetadata(...a) { record(ex, 'user.setUserMetadata', a); return api; },
      setUserId(...a) { record(ex, 'user.setUserId', a); return api; },
    },
    cache: {
      get(key) { return syncCall(ex, 'cache.get', [key]); },
      set(key, value, options) {
        const o = options === null || options === undefined ? {} : options;
        return syncCall(ex, 'cache.set', [key, value, o.ttl, o.expires_at]);
      },
      delete(key) { return syncCall(ex, 'cache.delete', [key]); },
    },
  };
  return api;
}

function log(line) {
  const ex = current;
  if (!ex || ex.done) {
    process.stderr.write(line + '\n');
    return;
  }
  if (ex.logBytes > MAX_LOG_BYTES) return;
  ex.logBytes += Buffer.byteLength(line);
  ex.calls.push({m: 'log', line});
}

for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[m] = (...args) => log(util.format(...args));
}
console.dir = (obj, options) => log(util.inspect(obj, options));

async function runAction(ex, fn, event) {
  delete globalThis.PreUserRegistrationError;
  try {
    await fn(event, makeApi(ex));
    finish(ex, {kind: 'returned'});
  } catch (e) {
    finish(ex, {kind: 'threw', message: describeError(e, ex.script)});
  }
}

function hookThrew(ex, e) {
  if (ex.done) return;
  ex.calls.push({m: 'throw', message: describeError(e, ex.script)});
  if (!ex.called) finish(ex, {kind: 'threw', message: describeError(e, ex.script)});
}

function runHook(ex, fn, user, context) {
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  const cb = (err, response) => {
    if (ex.done) return;
    ex.calls.push({m: 'cb', e: describeCbError(err), r: encode(response)});
    if (!ex.called) {
      ex.called = true;
      // Report after the current turn, so that what the Hook does right after cb is seen too.
      setImmediate(() => finish(ex, {kind: 'returned'}));
    }
  };
  try {
    const ret = fn(user, context, cb);
    if (ret && typeof ret.then === 'function') ret.then(undefined, (e) => hookThrew(ex, e));
  } catch (e) {
    hookThrew(ex, e);
  }
}

function execute(msg) {
  const ex = {id: msg.id, script: msg.script, calls: [], logBytes: 0, done: false, called: false};
  const entry = load(msg.script, msg.gen);
  if (entry.error) return finish(ex, {kind: 'threw', message: entry.error});
  if (entry.kind !== msg.kind) {
    return finish(ex, {kind: 'threw', message: `${msg.script} is a ${entry.kind}, not a ${msg.kind}`});
  }
  current = ex;
  if (entry.kind === 'action') return runAction(ex, entry.fn, msg.event);
  return runHook(ex, entry.fn, msg.user, msg.context);
}

// Errors that escape the script's own promise chain (a rejection in a timer, a throw in a
// callback) belong to the execution running now.
function escaped(what, e) {
  const ex = current;
  if (!ex || ex.done) {
    process.stderr.write(`prereg worker: ${what} outside an execution: ${describeError(e, '')}\n`);
    return;
  }
  if (ex.called) {  // a Hook that already called cb: logged and ignored
    ex.calls.push({m: 'throw', message: `${what}: ${describeError(e, ex.script)}`});
    return;
  }
  finish(ex, {kind: 'threw', message: `${what}: ${describeError(e, ex.script)}`});
}
process.on('unhandledRejection', (e) => escaped('unhandled promise rejection', e));
process.on('uncaughtException', (e) => escaped('uncaught exception', e));
process.on('exit', (code) => {
  try {
    send({t: 'exit', code});
  } catch (e) { /* the engine is gone */ }
});

// ---------------------------------------------------------------------------------------------

function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    process.stderr.write(`prereg worker: bad request: ${e.message}\n`);
    return;
  }
  if (msg.t === 'load') {
    const entry = load(msg.script, msg.gen);
    send(entry.error ? {t: 'loaded', id: msg.id, error: entry.error}
                     : {t: 'loaded', id: msg.id, kind: entry.kind});
  } else if (msg.t === 'exec') {
    execute(msg);
  }
}

// Requests arrive on stdin as lines, through the event loop or through spinForRequest. Bytes
// are split into lines before decoding, so a chunk boundary inside a character is harmless.
let pendingInput = Buffer.alloc(0);
function feed(chunk) {
  pendingInput = pendingInput.length ? Buffer.concat([pendingInput, chunk]) : chunk;
  let nl;
  while ((nl = pendingInput.indexOf(0x0a)) >= 0) {
    const line = pendingInput.toString('utf8', 0, nl);
    pendingInput = pendingInput.subarray(nl + 1);
    handle(line);
  }
}

const spinBuf = Buffer.alloc(64 * 1024);
function spinForRequest() {
  if (SPIN_US <= 0 || current !== null) return;
  const until = process.hrtime.bigint() + BigInt(SPIN_US) * 1000n;
  while (process.hrtime.bigint() < until) {
    let n;
    try {
      n = fs.readSync(REQUEST_FD, spinBuf, 0, spinBuf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      return;  // leave errors to the event loop's reader
    }
    if (n > 0) feed(Buffer.from(spinBuf.subarray(0, n)));
    return;  // data, or end of input (seen by the event loop's reader too)
  }
}

process.stdin.on('data', feed);
process.stdin.on('end', () => process.exit(0));

send({t: 'ready', pid: process.pid, node: process.version});
