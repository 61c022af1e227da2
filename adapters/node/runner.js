'use strict';
// prereg's Node worker. It applies no rule of its own: it loads scripts as CommonJS modules,
// calls them, and reports what they did, in order, for the C++ engine to judge.
//
// Protocol: one JSON document per line.
//   fd 0 (stdin)  engine -> worker   {t:'load', id, script, gen, source, quiet?}
//                                    {t:'exec', id, script, kind:'action', event}
//                                    {t:'exec', id, script, kind:'hook', user, context}
//   fd 3          worker -> engine   {t:'ready', pid, node}
//                                    {t:'loaded', id, kind} | {t:'loaded', id, error}
//                                    {t:'sync', id, calls, call}     (then blocks on fd 4)
//                                    {t:'done', id, calls, end:{kind:'returned'|'threw', message},
//                                     overflow?: true}
//                                    {t:'exit', code}
//   fd 4          engine -> worker   {r: <result of the synchronous call>}
// `calls` is the ordered list of what the script did since the last report:
//   {m:'access.deny'|'user.setAppMetadata'|..., a:[arg, ...]}, {m:'log', line},
//   {m:'cb', e:<cb error description>, r:<response>}, {m:'throw', message}.
// An argument is {j: <JSON>} or {k: 'undefined'|'function'|'symbol'|'bigint'|'nonfinite'|'cycle'|
// 'deep'|'surrogate'} or {k: 'large', bytes, string}: values over the engine's limits for one value
// (--max-value-bytes, --max-depth) are described, not sent, so a 100 MB value costs its size once.
// Every string sent is well-formed Unicode (a lone surrogate in a log line becomes U+FFFD), so
// every line parses. `overflow` says the execution recorded more than --max-report-bytes of calls
// and log lines; the calls past that were dropped, and the engine fails the step.

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
// Limits the engine sets (adapters/node: PoolOptions): one value, its nesting, one report.
function numberArg(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
const MAX_VALUE_BYTES = numberArg('max-value-bytes', 256 * 1024);
const MAX_DEPTH = numberArg('max-depth', 128);
const MAX_REPORT_BYTES = numberArg('max-report-bytes', 512 * 1024);
// Error descriptions (a throw, a load error) are cut to this many characters.
const MAX_MESSAGE_CHARS = 4096;

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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

// `s` with every lone surrogate replaced by U+FFFD, for text the engine only shows (logs, errors).
function wellFormed(s) {
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s;
}

// The deepest nesting in JSON.stringify's output, and whether it holds a lone surrogate: the
// well-formed JSON.stringify writes those, and only those, as \uD800-\uDFFF escapes.
function inspectJson(text) {
  let depth = 0, deepest = 0, lone = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {  // a string: skip to its closing quote
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d !== 0x5c) continue;
        if (text.charCodeAt(i + 1) === 0x75) {  // \uXXXX
          const unit = parseInt(text.substr(i + 2, 4), 16);
          if (unit >= 0xd800 && unit <= 0xdfff) lone = true;
        }
        i++;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return {depth: deepest, lone};
}

function tooLarge(text, isString) {
  if (text.length <= MAX_VALUE_BYTES / 3) return null;  // UTF-8 takes at most 3 bytes a unit
  const bytes = Buffer.byteLength(text);
  return bytes > MAX_VALUE_BYTES ? {k: 'large', bytes, string: isString} : null;
}

// The wire form of `v`, and about how many bytes it adds to a report.
function encodeSized(v) {
  switch (typeof v) {
    case 'undefined': return [{k: 'undefined'}, 16];
    case 'function': return [{k: 'function'}, 16];
    case 'symbol': return [{k: 'symbol'}, 16];
    case 'bigint': return [{k: 'bigint'}, 16];
    case 'number': return Number.isFinite(v) ? [{j: v}, 24] : [{k: 'nonfinite'}, 16];
    case 'boolean': return [{j: v}, 8];
    case 'string': {
      const wire = tooLarge(v, true) || (LONE_SURROGATE.test(v) ? {k: 'surrogate'} : {j: v});
      return [wire, wire.j === undefined ? 48 : v.length * 3];
    }
    default: break;
  }
  if (v === null) return [{j: null}, 8];
  let text;
  try {
    text = JSON.stringify(v);  // toJSON, Dates, dropped undefined members: as Auth0 does
  } catch (e) {
    return [/BigInt/i.test(String(e && e.message)) ? {k: 'bigint'} : {k: 'cycle'}, 16];
  }
  if (text === undefined) return [{k: 'undefined'}, 16];
  const large = tooLarge(text, text.charCodeAt(0) === 0x22);  // a Date's toJSON gives a string
  if (large) return [large, 48];
  const {depth, lone} = inspectJson(text);
  if (depth > MAX_DEPTH) return [{k: 'deep'}, 16];
  if (lone) return [{k: 'surrogate'}, 16];
  return [{j: JSON.parse(text)}, text.length];
}

function encode(v) {
  return encodeSized(v)[0];
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

// Text for the engine to show: well-formed, and cut to MAX_MESSAGE_CHARS.
function shortText(s) {
  const cut = s.length > MAX_MESSAGE_CHARS ? s.slice(0, MAX_MESSAGE_CHARS) + '... (cut)' : s;
  return wellFormed(cut);
}

function describeError(e, script) {
  try {
    if (e instanceof Error || (e && typeof e === 'object' && 'message' in e)) {
      const name = e.name || 'Error';
      return shortText(`${safeString(name)}: ${safeString(e.message)}${locate(e, script)}`);
    }
    return shortText(`threw ${typeof e === 'string' ? JSON.stringify(e) : safeString(e)}`);
  } catch (err) {  // a getter that throws, say
    return 'threw a value that cannot be described';
  }
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
  const out = {t: true, pur, message: wellFormed(message)};
  if (pur && err.friendlyMessage !== undefined && err.friendlyMessage !== null) {
    out.friendly = wellFormed(safeString(err.friendlyMessage));
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

// script path + generation -> {kind, fn} or {error}. The engine sends the source it read when the
// flow's generation was loaded, so every worker runs exactly that code, whatever the file holds
// now: a reload sees edits, and executions of the previous generation keep what they started
// with even on a worker that never ran them before. Modules the script requires come from disk.
const loaded = new Map();

// Evaluates `source` as the CommonJS module `script` (its require, __dirname, node_modules).
function compile(script, source) {
  const m = new Module(script, module);
  m.filename = script;
  m.paths = Module._nodeModulePaths(path.dirname(script));
  m._compile(source, script);
  m.loaded = true;
  return m.exports;
}

function load(script, gen = 0, source = undefined) {
  const id = `${gen}\0${script}`;
  let entry = loaded.get(id);
  if (entry) return entry;
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  try {
    const exported = typeof source === 'string' ? compile(script, source) : require(script);
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
  if (ex.overflow) msg.overflow = true;
  ex.calls = [];
  ex.reportBytes = 0;
  send(msg);
}

// Records one call of about `bytes` bytes, unless the report is full: then it and every later call
// of the execution are dropped, and the report says so.
function push(ex, call, bytes) {
  if (ex.done || ex.overflow) return;
  ex.reportBytes += bytes + 32;
  if (ex.reportBytes > MAX_REPORT_BYTES) {
    ex.overflow = true;
    return;
  }
  ex.calls.push(call);
}



function finish(ex, end) {
  if (ex.done) return;
  ex.done = true;
  if (current === ex) current = null;
  report(ex, {t: 'done', end});
  spinForRequest();
}

function record(ex, method, args) {
  if (ex.done || ex.overflow) return;
  const a = [];
  let bytes = 0;
  for (const arg of args) {
    const [wire, size] = encodeSized(arg);
    a.push(wire);
    bytes += size;
  }
  push(ex, {m: method, a}, bytes);
}

function syncCall(ex, method, args) {
  if (ex.done) return undefined;
  const call = {m: method, a: args.map(encode)};
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

function log(text) {
  const ex = current;
  if (!ex || ex.done) {
    process.stderr.write(text + '\n');
    return;
  }
  // Send at most one byte past the budget: the engine cuts the line and adds the marker.
  const room = MAX_LOG_BYTES - ex.logBytes;
  if (room < 0) return;
  const line = wellFormed(text.length > room + 1 ? text.slice(0, room + 1) : text);
  const bytes = Buffer.byteLength(line);
  ex.logBytes += bytes;
  push(ex, {m: 'log', line}, bytes);
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
  const message = describeError(e, ex.script);
  push(ex, {m: 'throw', message}, message.length);
  if (!ex.called) finish(ex, {kind: 'threw', message: describeError(e, ex.script)});
}

function runHook(ex, fn, user, context) {
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  const cb = (err, response) => {
    if (ex.done) return;
    const e = describeCbError(err);
    const [r, bytes] = encodeSized(response);
    push(ex, {m: 'cb', e, r}, bytes + (e.message || '').length * 3 + (e.friendly || '').length * 3);
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
  const ex = {id: msg.id, script: msg.script, calls: [], logBytes: 0, reportBytes: 0,
              overflow: false, done: false, called: false};
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
    const message = `${what}: ${describeError(e, ex.script)}`;
    push(ex, {m: 'throw', message}, message.length);
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
    const entry = load(msg.script, msg.gen, msg.source);
    if (msg.quiet) return;  // loaded ahead of an execution, which reports any error
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
