'use strict';
// prereg's Node worker. It applies no rule of its own: it loads one script as a CommonJS module,
// calls it, and reports what it did, in order, for the C++ engine to judge.
//
// Protocol: one JSON document per line.
//   fd 0 (stdin)  engine -> worker   {t:'load', id, script, gen, source}   (the first request)
//                                    {t:'exec', id, script, kind:'action', event}
//                                    {t:'exec', id, script, kind:'hook', user, context}
//                                    {t:'cancel', id}   (the engine gave up on execution `id`)
//   fd 3          worker -> engine   {t:'ready', pid, node}
//                                    {t:'loaded', id, kind} | {t:'loaded', id, error}
//                                    {t:'sync', id, calls, call}     (then blocks on fd 4)
//                                    {t:'done', id, calls, end:{kind:'returned'|'threw', message},
//                                     overflow?: true, lingering?: <timers left set>,
//                                     untracked?: true}
//                                    {t:'cancelled', id}
//                                    {t:'hb'}  (every --heartbeat-ms while executions run)
//                                    {t:'late', id, what:'log'|'uncaught exception'|
//                                     'unhandled promise rejection', text}
//                                    {t:'exit', code, id}
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
// A worker runs several executions at once when the engine sends them (its --worker-concurrency):
// module state is shared, `event` and `api` are each execution's own. Each execution runs in an
// AsyncLocalStorage context, so that what its callbacks do is told apart from the other executions
// running then: a log line, throw or rejection from an execution that has ended (or from code
// outside any execution, such as a timer set at load) is reported as `late` with that execution's
// id (0 when none), never charged to another. `lingering` counts the timers set when the worker
// went idle beyond those set when it became busy, on the done message that made it idle: the
// engine recycles such a worker (a timer the script unref()s does not count). `untracked` says the
// script broke async context tracking in its worker (see contextsUsable): the engine replaces it.
// Replies are batched (several per write under load; see flushOutbox), and written at once when
// the worker goes idle or blocks on a synchronous call; `exit` names the execution whose code
// ended the process (0: none).
//
// The script cannot tamper with what is recorded (SPEC §8): everything the runner uses to read
// requests, record calls, encode replies and write them is captured below, before the script
// loads, and called without going through prototypes the script could replace (JSON, Array,
// String, Map, RegExp, Function.prototype.apply, Buffer, console, process.stdout). Messages are
// assembled as text; a value is the text the original JSON.stringify gave for it (a script's own
// toJSON shapes its own values, as it would on Auth0). What remains a script's to break is its
// own worker: replacing, say, EventEmitter.prototype.emit stops its own requests from arriving, and
// its own executions time out.

// ---------------------------------------------------------------------------------------------
// Captured before any script loads.

const {apply: ReflectApply, defineProperty: ReflectDefineProperty,
       getOwnPropertyDescriptor: ReflectGetOwnPropertyDescriptor,
       setPrototypeOf: ReflectSetPrototypeOf} = Reflect;
const {apply: FunctionApply, call: FunctionCall} = Function.prototype;
// uncurry(String.prototype.slice)(s, 1) is s.slice(1) through the original `call`, bound now: no
// rest array per call, unlike a wrapper around Reflect.apply.
const uncurry = (fn) => ReflectApply(Function.prototype.bind, FunctionCall, [fn]);
const {parse: JSONParse, stringify: JSONStringify} = JSON;
const ObjectHasOwn = uncurry(Object.prototype.hasOwnProperty);
const ObjectToString = uncurry(Object.prototype.toString);
const StringCtor = String;
const NumberCtor = Number;
const NumberIsFinite = Number.isFinite;
const NumberParseInt = Number.parseInt;
const ErrorCtor = Error;
const StringSlice = uncurry(String.prototype.slice);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringIndexOf = uncurry(String.prototype.indexOf);
const StringStartsWith = uncurry(String.prototype.startsWith);
const RegExpExec = uncurry(RegExp.prototype.exec);
const MapCtor = Map;
const MapGet = uncurry(Map.prototype.get);
const MapSet = uncurry(Map.prototype.set);
const MapDelete = uncurry(Map.prototype.delete);
const Uint8ArrayCtor = Uint8Array;
const ArrayBufferCtor = ArrayBuffer;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayGetter = (name) =>
  uncurry(Reflect.getOwnPropertyDescriptor(TypedArrayPrototype, name).get);
const TypedArrayLength = typedArrayGetter('length');
const TypedArrayBuffer = typedArrayGetter('buffer');
const TypedArrayByteOffset = typedArrayGetter('byteOffset');
const TypedArraySet = uncurry(TypedArrayPrototype.set);
const BufferByteLength = Buffer.byteLength;
const BufferFrom = Buffer.from;
const BufferUtf8Slice = uncurry(Buffer.prototype.utf8Slice);  // on any Uint8Array
// On any Uint8Array too. With a number to find and a number to start from, it reads no getter and
// goes straight to memchr, where the typed arrays' own indexOf compares element by element.
const BufferIndexOf = uncurry(Buffer.prototype.indexOf);
const SetImmediate = setImmediate;
const QueueMicrotask = queueMicrotask;
const SetInterval = setInterval;
const HrtimeBigint = process.hrtime.bigint;
const ProcessOn = uncurry(process.on);
const ProcessArgv = process.argv;
const GetActiveResourcesInfo = process.getActiveResourcesInfo;

const fs = require('fs');
const path = require('path');
const util = require('util');
const Module = require('module');
const {writeSync: WriteSync, readSync: ReadSync} = fs;
const {format: UtilFormat, inspect: UtilInspect} = util;
const PathDirname = path.dirname;
const ModuleNodeModulePaths = Module._nodeModulePaths;
const ModuleCompile = uncurry(Module.prototype._compile);
const ModuleResolveFilename = Module._resolveFilename;
const {AsyncLocalStorage} = require('async_hooks');
const AlsRun = uncurry(AsyncLocalStorage.prototype.run);
const AlsGetStore = uncurry(AsyncLocalStorage.prototype.getStore);
const AlsDisable = uncurry(AsyncLocalStorage.prototype.disable);
const ReflectOwnKeys = Reflect.ownKeys;
const ArrayPrototype = Array.prototype;
const ObjectPrototype = Object.prototype;

// Node's event emitters call a listener with `listener.apply(...)`, and its streams call
// internal functions with `.call`: a script replacing Function.prototype.apply or call would
// stop the runner's requests from arriving. The functions on that path get their own copies.
function pinned(fn) {
  ReflectDefineProperty(fn, 'apply', {__proto__: null, value: FunctionApply});
  ReflectDefineProperty(fn, 'call', {__proto__: null, value: FunctionCall});
  return fn;
}
pinned(require('stream').Readable.prototype.read);

// Appends without Array.prototype.push (or a setter a script put on Array.prototype).
function append(list, value) {
  ReflectDefineProperty(list, list.length,
                        {__proto__: null, value, writable: true, enumerable: true, configurable: true});
}

// obj[key] when obj holds it itself, else undefined: never a property from a prototype.
function own(obj, key) {
  return obj !== null && typeof obj === 'object' && ObjectHasOwn(obj, key) ? obj[key] : undefined;
}

const REQUEST_FD = 0;
const REPLY_FD = 3;
const SYNC_FD = 4;
// Console output per execution; past it lines are dropped here, and the engine adds the marker.
const MAX_LOG_BYTES = 256 * 1024;
// Limits the engine sets (adapters/node: PoolOptions): one value, its nesting, one report.
function numberArg(name, fallback) {
  const prefix = `--${name}=`;
  for (let i = 0; i < ProcessArgv.length; i++) {
    const arg = ProcessArgv[i];
    if (StringStartsWith(arg, prefix)) {
      const n = NumberCtor(StringSlice(arg, prefix.length));
      return NumberIsFinite(n) && n >= 0 ? n : fallback;
    }
  }
  return fallback;
}
// After reporting, poll for the next request this long before sleeping in the event loop: the
// engine usually sends it within microseconds, and waking from epoll costs tens of them.
const SPIN_US = numberArg('spin-us', 100);
const SPIN_NS = BigInt(SPIN_US) * 1000n;
const MAX_VALUE_BYTES = numberArg('max-value-bytes', 256 * 1024);
const MAX_DEPTH = numberArg('max-depth', 128);
const MAX_REPORT_BYTES = numberArg('max-report-bytes', 512 * 1024);
// Error descriptions (a throw, a load error) are cut to this many characters.
const MAX_MESSAGE_CHARS = 4096;
// Late reports a worker sends in its life, and the characters of each: past them they are dropped
// (the engine recycles a worker that sends any, so this only bounds a burst).
const MAX_LATE_REPORTS = 20;
const MAX_LATE_CHARS = 1000;

// ---------------------------------------------------------------------------------------------
// Output to the engine.

function writeAll(fd, text) {
  // The string goes to the system call as it is (Node encodes it there); only a write cut short
  // (a full pipe) needs the bytes, to go on from where it stopped.
  let off = 0;
  try {
    off = WriteSync(fd, text);
  } catch (e) {
    if (own(e, 'code') !== 'EAGAIN') throw e;
  }
  if (off === BufferByteLength(text)) return;
  const buf = ReflectApply(BufferFrom, Buffer, [text]);
  while (off < TypedArrayLength(buf)) {
    try {
      off += WriteSync(fd, buf, off);
    } catch (e) {
      if (own(e, 'code') !== 'EAGAIN') throw e;
    }
  }
}

// A string as JSON. The original JSON.stringify runs no script code for a primitive string.
const quote = (s) => JSONStringify(s);

// Messages not written yet. They go out together from a microtask queued by the first: executions
// started by the same request chunk finish at the same depth of the microtask queue, so their
// replies share one write. (Not setImmediate: with async hooks on, Node runs immediates through
// Function.prototype.apply, which a script may replace.) Once REPLIES_PER_WRITE wait, they go at
// once: the engine starts on them while this worker runs the rest of the chunk
// (bench/README.md, 2026-12-07, fifth session).
const REPLIES_PER_WRITE = 4;
let outbox = '';
let outboxCount = 0;
let flushScheduled = false;
function flushOutbox() {
  flushScheduled = false;
  outboxCount = 0;
  if (outbox === '') return;
  const text = outbox;
  outbox = '';
  writeAll(REPLY_FD, text);
}

// Sends one message: `fields` is JSON text of its members ("\"t\":\"done\",..."). With `now`,
// or as the REPLIES_PER_WRITE-th waiting, it is written at once, with whatever waits before it.
function send(fields, now) {
  outbox += `{${fields}}\n`;
  if (now || ++outboxCount >= REPLIES_PER_WRITE) {
    flushOutbox();
  } else if (!flushScheduled) {
    flushScheduled = true;
    QueueMicrotask(flushOutbox);
  }
}

// fs.readSync checks the length it is asked for against `buffer.byteLength`, a getter a script
// can replace (to make every read fail, or read one byte at a time): the views it reads into have
// their own.
const READ_BYTES = 64 * 1024;
function readView(buffer) {
  const view = new Uint8ArrayCtor(buffer);
  ReflectDefineProperty(view, 'byteLength', {__proto__: null, value: READ_BYTES});
  return view;
}

// The engine's answer to a synchronous call: one line on the synchronous channel.
const syncBuffer = new ArrayBufferCtor(READ_BYTES);
const syncBytes = readView(syncBuffer);
const answers = lineReader();
function readSyncLine() {
  let answer;
  const take = (line) => {
    if (answer === undefined) answer = line;  // one answer per call: there is no other
  };
  while (answer === undefined) {
    let n;
    try {
      n = ReadSync(SYNC_FD, syncBytes, 0, READ_BYTES, null);
    } catch (e) {
      if (own(e, 'code') === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) throw new ErrorCtor('prereg: the engine closed the synchronous channel');
    readLines(answers, new Uint8ArrayCtor(syncBuffer, 0, n), take);
  }
  return JSONParse(answer);
}

// Lines of UTF-8 that arrive as chunks of bytes: requests on stdin, answers on the synchronous
// channel. Each line is decoded once it is whole (a newline byte is never part of a longer
// character). The bytes of a line not ended yet wait in its reader, copied: the chunk's buffer
// is reused. Bytes are copied with the typed arrays' own methods, captured: Buffer's copy reads
// getters a script could replace.
function lineReader() {
  return {pending: [], bytes: 0};  // own members only: what a prototype holds never applies
}

// Calls onLine with each line that `bytes` completes, without its newline; keeps the rest.
function readLines(reader, bytes, onLine) {
  const length = TypedArrayLength(bytes);
  let from = 0;
  let nl;
  while ((nl = BufferIndexOf(bytes, 0x0a, from)) >= 0) {
    if (reader.bytes === 0) {
      onLine(BufferUtf8Slice(bytes, from, nl));
    } else {
      const line = takePending(reader, bytes, nl);
      onLine(BufferUtf8Slice(line, 0, TypedArrayLength(line)));
    }
    from = nl + 1;
  }
  if (from < length) {
    append(reader.pending, copyOf(bytes, from, length));
    reader.bytes += length - from;
  }
}

// bytes[from, to) in a new array.
function copyOf(bytes, from, to) {
  const copy = new Uint8ArrayCtor(to - from);
  TypedArraySet(copy, bytesAt(bytes, from, to), 0);
  return copy;
}

// A view of bytes[from, to), made without `subarray` (which asks the array for its constructor).
function bytesAt(bytes, from, to) {
  return new Uint8ArrayCtor(TypedArrayBuffer(bytes), TypedArrayByteOffset(bytes) + from, to - from);
}

// The reader's pending bytes followed by bytes[0, end), as one array; nothing is pending after.
function takePending(reader, bytes, end) {
  const line = new Uint8ArrayCtor(reader.bytes + end);
  let at = 0;
  for (let i = 0; i < reader.pending.length; i++) {
    TypedArraySet(line, reader.pending[i], at);
    at += TypedArrayLength(reader.pending[i]);
  }
  TypedArraySet(line, bytesAt(bytes, 0, end), at);
  reader.pending = [];
  reader.bytes = 0;
  return line;
}

// ---------------------------------------------------------------------------------------------
// Values as the engine needs them.

// Where the first lone surrogate at or after `from` is — a high one not followed by a low one, or a
// low one not after a high one — or -1.
function loneSurrogateAt(s, from) {
  for (let i = from; i < s.length; i++) {
    const c = StringCharCodeAt(s, i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = StringCharCodeAt(s, i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

function hasLoneSurrogate(s) {
  return loneSurrogateAt(s, 0) >= 0;
}

// `s` with every lone surrogate replaced by U+FFFD, for text the engine only shows (logs, errors).
function wellFormed(s) {
  let i = loneSurrogateAt(s, 0);
  if (i < 0) return s;
  let out = '';
  let from = 0;
  for (; i >= 0; i = loneSurrogateAt(s, from)) {
    out += StringSlice(s, from, i) + '\uFFFD';
    from = i + 1;
  }
  return out + StringSlice(s, from);
}

// The deepest nesting in JSON.stringify's output, and whether it holds a lone surrogate: the
// well-formed JSON.stringify writes those, and only those, as \uD800-\uDFFF escapes.
function inspectJson(text) {
  let depth = 0, deepest = 0, lone = false;
  for (let i = 0; i < text.length; i++) {
    const c = StringCharCodeAt(text, i);
    if (c === 0x22) {  // a string: skip to its closing quote
      for (i++; i < text.length; i++) {
        const d = StringCharCodeAt(text, i);
        if (d === 0x22) break;
        if (d !== 0x5c) continue;
        if (StringCharCodeAt(text, i + 1) === 0x75) {  // \uXXXX
          const unit = NumberParseInt(StringSlice(text, i + 2, i + 6), 16);
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
  return {__proto__: null, depth: deepest, lone};
}

function tooLarge(text, isString) {
  if (text.length <= MAX_VALUE_BYTES / 3) return null;  // UTF-8 takes at most 3 bytes a unit
  const bytes = BufferByteLength(text);
  return bytes > MAX_VALUE_BYTES ? `{"k":"large","bytes":${bytes},"string":${isString}}` : null;
}

const KIND = (k) => `{"k":"${k}"}`;

// The wire form of `v` as JSON text, and about how many bytes it adds to a report.
function encodeSized(v) {
  switch (typeof v) {
    case 'undefined': return [KIND('undefined'), 16];
    case 'function': return [KIND('function'), 16];
    case 'symbol': return [KIND('symbol'), 16];
    case 'bigint': return [KIND('bigint'), 16];
    case 'number': return NumberIsFinite(v) ? [`{"j":${JSONStringify(v)}}`, 24] : [KIND('nonfinite'), 16];
    case 'boolean': return [v ? '{"j":true}' : '{"j":false}', 12];
    case 'string': {
      const large = tooLarge(v, true);
      if (large) return [large, 48];
      if (hasLoneSurrogate(v)) return [KIND('surrogate'), 16];
      const text = quote(v);
      return [`{"j":${text}}`, text.length];
    }
    default: break;
  }
  if (v === null) return ['{"j":null}', 12];
  let text;
  try {
    text = JSONStringify(v);  // toJSON, Dates, dropped undefined members: as Auth0 does
  } catch (e) {
    let bigint = false;
    try {
      bigint = RegExpExec(/BigInt/i, StringCtor(own(e, 'message'))) !== null;
    } catch (ignored) { /* a thrown value that cannot be read */ }
    return [KIND(bigint ? 'bigint' : 'cycle'), 16];
  }
  if (text === undefined) return [KIND('undefined'), 16];
  const large = tooLarge(text, StringCharCodeAt(text, 0) === 0x22);  // a Date's toJSON: a string
  if (large) return [large, 48];
  const shape = inspectJson(text);
  if (shape.depth > MAX_DEPTH) return [KIND('deep'), 16];
  if (shape.lone) return [KIND('surrogate'), 16];
  return [`{"j":${text}}`, text.length];
}

// Text for the engine to show: well-formed, and cut to MAX_MESSAGE_CHARS.
function shortText(s) {
  const cut = s.length > MAX_MESSAGE_CHARS ? StringSlice(s, 0, MAX_MESSAGE_CHARS) + '... (cut)' : s;
  return wellFormed(cut);
}

function safeString(x) {
  try {
    return StringCtor(x);
  } catch (e) {
    return ObjectToString(x);
  }
}

// Where in `script` an error was raised, from its stack: " (at /path/x.js:12:7)".
function locate(e, script) {
  let stack = '';
  try {
    const s = e !== null && typeof e === 'object' ? e.stack : undefined;
    if (typeof s === 'string') stack = s;
  } catch (ignored) { /* a throwing getter */ }
  const needle = script + ':';
  let at = StringIndexOf(stack, needle);
  while (at >= 0) {
    const m = RegExpExec(/^(\d+):(\d+)/, StringSlice(stack, at + needle.length, at + needle.length + 24));
    if (m) return ` (at ${script}:${m[1]}:${m[2]})`;
    at = StringIndexOf(stack, needle, at + 1);
  }
  return '';
}

function describeError(e, script) {
  try {
    if (e !== null && typeof e === 'object' && ('message' in e || e instanceof ErrorCtor)) {
      const name = e.name || 'Error';
      let message = safeString(e.message);
      if (e.code === 'MODULE_NOT_FOUND') {  // drop Node's "Require stack", which names the runner
        const eol = StringIndexOf(message, '\n');
        if (eol >= 0) message = StringSlice(message, 0, eol);
      }
      return shortText(`${safeString(name)}: ${message}${locate(e, script)}`);
    }
    return shortText(`threw ${typeof e === 'string' ? quote(e) : safeString(e)}`);
  } catch (err) {  // a getter that throws, say
    return 'threw a value that cannot be described';
  }
}

// ---------------------------------------------------------------------------------------------
// Hooks' global error class (Auth0's ExtensibilityUserError subclass).

class PreUserRegistrationError extends ErrorCtor {
  constructor(message, friendlyMessage) {
    super(message);
    this.name = 'PreUserRegistrationError';
    this.friendlyMessage = friendlyMessage || message;
  }
}

// cb's first argument, described as JSON text: {t, pur, message, friendly}.
function describeCbError(err) {
  if (!err) return '{"t":false}';
  let pur = false, message = '', friendly;
  try {
    pur = err instanceof PreUserRegistrationError ||
        (typeof err === 'object' && err.name === 'PreUserRegistrationError');
    if (err instanceof ErrorCtor) {
      message = safeString(err.message);
    } else {
      message = err.message ? safeString(err.message) : safeString(err);
    }
    if (pur && err.friendlyMessage !== undefined && err.friendlyMessage !== null) {
      friendly = safeString(err.friendlyMessage);
    }
  } catch (e) {
    message = 'threw a value that cannot be described';
  }
  return `{"t":true,"pur":${pur},"message":${quote(wellFormed(message))}` +
      (friendly === undefined ? '}' : `,"friendly":${quote(wellFormed(friendly))}}`);
}

// ---------------------------------------------------------------------------------------------
// Egress (with the sandbox: --sandbox). Connections to loopback, private, link-local (cloud
// metadata), carrier-grade NAT, multicast and reserved addresses, and to unix sockets, are refused
// unless --allow-egress names them (a CIDR, or HOST:PORT as the script names the destination), and
// a connection that has not connected within --connect-timeout-ms is aborted. Every TCP client in
// Node (net, http, https, tls, fetch) connects through net.Socket.prototype.connect: the wrapper
// is fixed in place, names are checked after they resolve (so a name cannot resolve to a refused
// address), and a refused connection is never attempted. UDP sockets are refused outright. With
// the permission model on, a script cannot reach Node's bindings to go around this; without it
// (Node 18, --no-sandbox) it is not a boundary.

function argValues(name) {
  const prefix = `--${name}=`;
  const values = [];
  for (let i = 0; i < ProcessArgv.length; i++) {
    if (StringStartsWith(ProcessArgv[i], prefix)) append(values, StringSlice(ProcessArgv[i], prefix.length));
  }
  return values;
}

function installEgressFilter() {
  const net = require('net');
  const dns = require('dns');
  const dgram = require('dgram');
  const {BlockList, isIP} = net;
  const BlockListCheck = uncurry(BlockList.prototype.check);
  const SocketConnect = net.Socket.prototype.connect;
  const SocketDestroy = net.Socket.prototype.destroy;
  const SocketOnce = uncurry(net.Socket.prototype.once);
  const normalizeArgs = net._normalizeArgs;
  const dnsLookup = dns.lookup;
  const nextTick = process.nextTick;
  const SetTimeout = setTimeout;
  const ClearTimeout = clearTimeout;
  const timeoutMs = numberArg('connect-timeout-ms', 10000);
  const StringToLowerCase = uncurry(String.prototype.toLowerCase);
  const ArrayIsArray = Array.isArray;
  const ObjectKeys = Object.keys;

  const refused = new BlockList();
  const ranges = [
    ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'],
    ['127.0.0.0', 8, 'ipv4'], ['169.254.0.0', 16, 'ipv4'], ['172.16.0.0', 12, 'ipv4'],
    ['192.0.0.0', 24, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['198.18.0.0', 15, 'ipv4'],
    ['224.0.0.0', 3, 'ipv4'],  // multicast, reserved and broadcast
    ['::', 127, 'ipv6'],       // :: and ::1
    ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
  ];
  for (let i = 0; i < ranges.length; i++) refused.addSubnet(ranges[i][0], ranges[i][1], ranges[i][2]);
  const allowed = new BlockList();
  const allowedNames = new MapCtor();  // "host:port" -> true
  const entries = argValues('allow-egress');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const slash = StringIndexOf(entry, '/');
    if (slash >= 0) {
      const address = StringSlice(entry, 0, slash);
      allowed.addSubnet(address, NumberCtor(StringSlice(entry, slash + 1)),
                        isIP(address) === 6 ? 'ipv6' : 'ipv4');
    } else {
      MapSet(allowedNames, RegExpExec(/^\[?(.*?)\]?(:\d+)$/, entry).slice(1, 3).join('').toLowerCase(), true);
    }
  }

  // Why `address` may not be reached, or null.
  function refusal(address, port) {
    if (!isIP(address)) return `prereg: ${address} is not an IP address`;
    let a = address;
    let type = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    const mapped = RegExpExec(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, a);
    if (mapped) {
      a = mapped[1];
      type = 'ipv4';
    }
    if (!BlockListCheck(refused, a, type) || BlockListCheck(allowed, a, type)) return null;
    return `prereg: connecting to ${address}:${port} is not allowed (loopback, private, ` +
        'link-local or cloud metadata addresses are refused in the sandbox; the operator can ' +
        'allow a destination with --allow-egress)';
  }

  function fail(socket, message, code) {
    const err = new ErrorCtor(message);
    err.code = code;
    ReflectApply(nextTick, process, [() => ReflectApply(SocketDestroy, socket, [err])]);
    return socket;
  }

  // A lookup that refuses what it resolves to, as dns.lookup answers (one address, or all).
  function checkingLookup(lookup, port) {
    return (hostname, options, callback) => {
      if (typeof options === 'function') {
        callback = options;
        options = {};
      }
      ReflectApply(lookup, dns, [hostname, options, (err, address, family) => {
        if (err) return callback(err);
        const list = typeof address === 'string' ? [{address, family}] : address;
        const kept = [];
        let why = 'prereg: the name resolved to no address';
        for (let i = 0; i < list.length; i++) {
          // Read once, into values of our own: what is checked is what is used.
          const entry = {address: StringCtor(list[i].address), family: NumberCtor(list[i].family)};
          const reason = refusal(entry.address, port);
          if (reason) why = reason; else append(kept, entry);
        }
        if (kept.length === 0) {
          const e = new ErrorCtor(`${why} (${hostname} resolves to it)`);
          e.code = 'EACCES';
          return callback(e);
        }
        if (typeof address === 'string') return callback(null, kept[0].address, kept[0].family);
        return callback(null, kept);
      }]);
    };
  }

  function connect(...args) {
    // net.connect() passes the arguments it normalised as one array ([options, callback]).
    const pre = args.length === 1 && ArrayIsArray(args[0]) ? args[0] : null;
    const normalized = pre ? [pre[0], pre[1]] : normalizeArgs(args);
    // A copy read once: a getter cannot show one host to the check and another to Node.
    const given = normalized[0];
    const options = {};
    const keys = ObjectKeys(given);
    for (let i = 0; i < keys.length; i++) options[keys[i]] = given[keys[i]];
    normalized[0] = options;
    if (options.path !== undefined && options.path !== null) {
      return fail(this, 'prereg: connecting to a unix socket is not allowed in the sandbox', 'EACCES');
    }
    const host = StringCtor(options.host || 'localhost');
    const port = NumberCtor(options.port);
    options.host = host;
    options.port = port;
    const bare = RegExpExec(/^\[?(.*?)\]?$/, host)[1];
    if (!MapGet(allowedNames, `${StringToLowerCase(bare)}:${port}`)) {
      if (isIP(bare)) {
        const why = refusal(bare, port);
        if (why) return fail(this, why, 'EACCES');
      } else {
        options.lookup = checkingLookup(options.lookup || dnsLookup, port);
      }
    }
    const socket = this;
    const timer = ReflectApply(SetTimeout, undefined, [() => {
      if (socket.connecting) {
        ReflectApply(SocketDestroy, socket, [new ErrorCtor(
            `prereg: the connection to ${host}:${port} did not connect within ${timeoutMs} ms`)]);
      }
    }, timeoutMs]);
    timer.unref();
    const clear = () => ReflectApply(ClearTimeout, undefined, [timer]);
    SocketOnce(socket, 'connect', clear);
    SocketOnce(socket, 'close', clear);
    return ReflectApply(SocketConnect, this, normalized);
  }

  ReflectDefineProperty(net.Socket.prototype, 'connect',
                        {__proto__: null, value: connect, writable: false, configurable: false});
  const noUdp = function() {
    throw new ErrorCtor('prereg: UDP sockets are not allowed in the sandbox');
  };
  for (const method of ['bind', 'connect', 'send']) {
    ReflectDefineProperty(dgram.Socket.prototype, method,
                          {__proto__: null, value: noUdp, writable: false, configurable: false});
  }
}

// ---------------------------------------------------------------------------------------------
// Other processes (with the sandbox). Node's permission model leaves process.kill and
// os.setPriority open, and a worker runs as prereg's user: it could signal or starve the service.
// Both are fixed in place to act on the worker itself only.

function installProcessGuards() {
  const os = require('os');
  const ownPid = process.pid;
  const refuse = (what) => {
    const e = new ErrorCtor(`prereg: ${what} other processes is not allowed in the sandbox`);
    e.code = 'EPERM';
    throw e;
  };
  const kill = process.kill;
  const rawKill = process._kill;
  const setPriority = os.setPriority;
  const fixed = (obj, name, value) => ReflectDefineProperty(
      obj, name, {__proto__: null, value, writable: false, configurable: false, enumerable: false});
  fixed(process, 'kill', function(pid, signal) {
    if (NumberCtor(pid) !== ownPid) refuse('signalling');
    return ReflectApply(kill, process, [pid, signal]);
  });
  fixed(process, '_kill', function(pid, signal) {
    if (NumberCtor(pid) !== ownPid) refuse('signalling');
    return ReflectApply(rawKill, process, [pid, signal]);
  });
  fixed(os, 'setPriority', function(pid, priority) {
    if (priority !== undefined && NumberCtor(pid) !== 0 && NumberCtor(pid) !== ownPid) {
      refuse('changing the priority of');
    }
    return ReflectApply(setPriority, os, priority === undefined ? [pid] : [pid, priority]);
  });
}

let sandboxed = false;
for (let i = 0; i < ProcessArgv.length; i++) {
  if (ProcessArgv[i] === '--sandbox') sandboxed = true;
}
if (sandboxed) {
  installEgressFilter();
  installProcessGuards();
}

// ---------------------------------------------------------------------------------------------
// Module loading. Auth0 Hooks may pin versions in require('name@1.2.3'): such a request resolves
// to the installed `name`, so Hooks run unmodified.

Module._resolveFilename = function(request, ...rest) {
  const args = [request];
  for (let i = 0; i < rest.length; i++) append(args, rest[i]);
  try {
    return ReflectApply(ModuleResolveFilename, this, args);
  } catch (e) {
    const m = RegExpExec(/^((?:@[^/@]+\/)?[^/@]+)@[^/]+$/, request);
    if (!m || own(e, 'code') !== 'MODULE_NOT_FOUND') throw e;
    args[0] = m[1];
    return ReflectApply(ModuleResolveFilename, this, args);
  }
};

function describeLoadError(e, script) {
  const dir = PathDirname(script);
  if (e instanceof SyntaxError) {
    let first = '';
    try {
      first = StringCtor(e.stack || '');
    } catch (ignored) { /* keep '' */ }
    const nl = StringIndexOf(first, '\n');
    if (nl >= 0) first = StringSlice(first, 0, nl);
    const line = StringStartsWith(first, script + ':') ? StringSlice(first, script.length + 1) : '';
    return shortText(`${script}${line ? ' line ' + line : ''}: syntax error: ${e.message}. ` +
        `Fix the script until \`node --check ${script}\` passes.`);
  }
  if (e && own(e, 'code') === 'MODULE_NOT_FOUND') {
    const m = RegExpExec(/Cannot find module '([^']+)'/, StringCtor(e.message));
    const name = m ? m[1] : '?';
    const bare = RegExpExec(/^(.*)@[^/@]*$/, name);
    return shortText(`${script}${locate(e, script)}: cannot find module '${name}'. ` +
        `Install it beside the script (cd ${dir} && npm install ${bare && bare[1] ? bare[1] : name}), ` +
        'or remove the require.');
  }
  return shortText(`${script}: threw while loading: ${describeError(e, script)}. ` +
      'Top-level code runs when the flow loads and must not throw.');
}

// Evaluates `source` as the CommonJS module `script` (its require, __dirname, node_modules).
function compile(script, source) {
  const m = new Module(script, module);
  m.filename = script;
  m.paths = ModuleNodeModulePaths(PathDirname(script));
  ModuleCompile(m, source, script);
  m.loaded = true;
  return m.exports;
}

// script path + generation -> {kind, fn} or {error}. The engine sends the source it read when the
// flow's generation was loaded, so every worker runs exactly that code, whatever the file holds
// now. Modules the script requires come from disk.
const loaded = new MapCtor();

// Where the script starts with a bare function — `function (user, context, cb) {...}` as the whole
// script, as Terraform's auth0_hook and the Management API took Hooks (Auth0's editor wrote
// `module.exports =` before it) — after leading blanks and comments; -1 when it does not.
function bareFunctionAt(source) {
  let i = 0;
  for (;;) {
    while (i < source.length && RegExpExec(/\s/, source[i]) !== null) i++;
    if (StringStartsWith(source, '//', i)) {
      const nl = StringIndexOf(source, '\n', i);
      if (nl < 0) return -1;
      i = nl + 1;
    } else if (StringStartsWith(source, '/*', i)) {
      const end = StringIndexOf(source, '*/', i + 2);
      if (end < 0) return -1;
      i = end + 2;
    } else {
      break;
    }
  }
  const m = RegExpExec(/^(?:async\s+)?function\b/, StringSlice(source, i, i + 32));
  return m ? i : -1;
}

// The script's exports: a bare function (see bareFunctionAt) becomes module.exports, on the same
// line and column as written.
function compileScript(script, source) {
  let exported;
  try {
    exported = compile(script, source);
  } catch (e) {
    const at = e instanceof SyntaxError ? bareFunctionAt(source) : -1;
    if (at < 0) throw e;
    return compile(script, `${StringSlice(source, 0, at)}module.exports = ${StringSlice(source, at)}`);
  }
  const empty = exported !== null && typeof exported === 'object' && ReflectOwnKeys(exported).length === 0;
  const at = empty ? bareFunctionAt(source) : -1;  // `function hook(user, context, cb) {...}`
  return at < 0 ? exported
                : compile(script, `${StringSlice(source, 0, at)}module.exports = ${StringSlice(source, at)}`);
}

// A loaded script: a Hook or an Action (kind, fn), or why it could not be (error). A class whose
// prototype has none, for the reasons given at Execution.
class Loaded {
  constructor(kind, fn, error) {
    this.kind = kind;
    this.fn = fn;
    this.error = error;
  }
}
ReflectSetPrototypeOf(Loaded.prototype, null);

function load(script, gen, source) {
  const id = `${gen}\0${script}`;
  let entry = MapGet(loaded, id);
  if (entry) return entry;
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  try {
    const exported = typeof source === 'string' ? compileScript(script, source) : require(script);
    const action = exported ? exported.onExecutePreUserRegistration : undefined;
    if (typeof action === 'function') {
      entry = new Loaded('action', action, undefined);
    } else if (typeof exported === 'function') {
      entry = new Loaded('hook', exported, undefined);
    } else {
      entry = new Loaded(undefined, undefined,
                         `${script}: exports neither a Hook (module.exports = function (user, ` +
                             'context, cb) {...}) nor an Action (exports.onExecutePreUserRegistration ' +
                             '= async (event, api) => {...}).');
    }
  } catch (e) {
    entry = new Loaded(undefined, undefined, describeLoadError(e, script));
  }
  MapSet(loaded, id, entry);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Executions. `running` holds those in flight by id; `current` is the one started last (what code
// is attributed to when contexts are not tracked). `executions` holds, in each callback, the
// execution whose code scheduled it.

let current = null;
const running = new MapCtor();
let inflight = 0;
let timersAtBusy = 0;  // timers set when the worker last went from idle to busy
const executions = new AsyncLocalStorage();
// Its first run() sets Node's hooks up, with arrays a script could break (a setter on
// Array.prototype[0]): done now, before any script loads.
AlsRun(executions, null, () => {});

// Node keeps async contexts in arrays that a script breaks for its own worker by putting an index
// on Array.prototype or Object.prototype (a setter on [0]): its hooks then throw at every promise.
// Such a worker stops tracking contexts, and attributes to the execution running now.
let contextsTracked = true;
const isIndex = (key) => typeof key === 'string' && RegExpExec(/^(0|[1-9][0-9]*)$/, key) !== null;
// Whether Object.prototype was found without an index since the last request chunk arrived.
// Listing its keys costs about as much as a tenth of an execution, so it is done once a chunk:
// an index a script adds reaches the next chunk's executions (and its worker is recycled at the
// first of them to end), where Array.prototype's is seen at the next execution.
let objectPrototypeClean = false;
function contextsUsable() {
  if (!contextsTracked) return false;
  // Array.prototype is an array: an index on it raises its length, which it cannot hide (length
  // is never an accessor). Own keys list array indices first: Object.prototype's first key tells.
  if (ArrayPrototype.length === 0 &&
      (objectPrototypeClean || !isIndex(ReflectOwnKeys(ObjectPrototype)[0]))) {
    objectPrototypeClean = true;
    return true;
  }
  contextsTracked = false;
  AlsDisable(executions);
  return false;
}

// The execution that the code running now belongs to, or null (load-time code, the runner).
function owner() {
  if (!contextsTracked) return current;
  try {
    const ex = AlsGetStore(executions);
    return ex === undefined ? null : ex;
  } catch (e) {
    return current;
  }
}

// Runs fn(ex, a, b, c) as `ex`'s code; directly when contexts are not tracked (see owner). No
// spread: Array.prototype[Symbol.iterator] is the script's.
function runAs(ex, fn, a, b, c) {
  if (!contextsUsable()) return fn(ex, a, b, c);
  let started = false;
  try {
    return AlsRun(executions, ex, () => {
      started = true;
      return fn(ex, a, b, c);
    });
  } catch (e) {
    if (started) throw e;
    return fn(ex, a, b, c);
  }
}

let lateReports = 0;
// Something an execution did after it ended, or code outside any execution did.
function late(ex, what, text) {
  if (++lateReports > MAX_LATE_REPORTS) return;
  const cut = text.length > MAX_LATE_CHARS ? StringSlice(text, 0, MAX_LATE_CHARS) + '…' : text;
  send(`"t":"late","id":${ex ? ex.id : 0},"what":"${what}","text":${quote(wellFormed(cut))}`);
}

// Timers set and keeping the process alive (unref'd ones do not count). What an execution adds to
// them is work it left behind.
function lingeringTimers() {
  const resources = ReflectApply(GetActiveResourcesInfo, process, []);
  let n = 0;
  for (let i = 0; i < resources.length; i++) if (resources[i] === 'Timeout') n++;
  return n;
}

// Reports what `ex` recorded since its last report; `fields` are the message's own members.
function report(ex, fields, now) {
  const calls = ex.calls;
  ex.calls = '';
  ex.reportBytes = 0;
  send(`${fields},"id":${ex.id},"calls":[${calls}]${ex.overflow ? ',"overflow":true' : ''}`, now);
}

// Records one call (JSON text) of about `bytes` bytes, unless the report is full: then it and
// every later call of the execution are dropped, and the report says so.
function record(ex, call, bytes) {
  if (ex.done || ex.overflow) return;
  ex.reportBytes += bytes + 32;
  if (ex.reportBytes > MAX_REPORT_BYTES) {
    ex.overflow = true;
    return;
  }
  ex.calls = ex.calls === '' ? call : `${ex.calls},${call}`;
}

// The encoded arguments of a call, as JSON text, and their size.
function encodeArgs(args) {
  let text = '';
  let bytes = 0;
  for (let i = 0; i < args.length; i++) {
    const encoded = encodeSized(args[i]);  // indexed, not destructured: no array iterator
    text += (i ? ',' : '') + encoded[0];
    bytes += encoded[1];
  }
  return [text, bytes];
}

// One execution. Its prototype has none, so no property a script puts on Object.prototype applies
// to it; its members are set in one place, so V8 gives every execution the same fast layout
// (an object literal with `__proto__: null` is a dictionary, each member a hash lookup).
class Execution {
  constructor(id, script) {
    this.id = id;
    this.script = script;
    this.calls = '';  // the calls recorded since the last report, as JSON text joined by commas
    this.logBytes = 0;
    this.reportBytes = 0;
    this.overflow = false;
    this.done = false;
    this.called = false;
  }
}
ReflectSetPrototypeOf(Execution.prototype, null);

function begin(ex) {
  if (inflight === 0) timersAtBusy = lingeringTimers();
  inflight++;
  MapSet(running, ex.id, ex);
  current = ex;
}

// `ex` is over: it reports nothing more, and what its callbacks do later is late.
function end(ex) {
  ex.done = true;
  MapDelete(running, ex.id);
  inflight--;
  if (current === ex) current = null;
}

function finish(ex, kind, message) {
  if (ex.done) return;
  end(ex);
  const result = message === undefined ? `{"kind":"${kind}"}`
                                       : `{"kind":"${kind}","message":${quote(message)}}`;
  let extra = '';
  if (inflight === 0) {
    const timers = lingeringTimers() - timersAtBusy;
    if (timers > 0) extra += `,"lingering":${timers}`;
  }
  if (!contextsTracked) extra += ',"untracked":true';
  // The last execution out writes at once: there is nothing left to batch with.
  report(ex, `"t":"done","end":${result}${extra}`, inflight === 0);
  if (inflight === 0) spinForRequest();
}

// The engine gave up on execution `id` (its budget ran out): it ends here too. The answer shows
// the engine that this worker's event loop still runs.
function cancel(id) {
  const ex = MapGet(running, id);
  if (ex !== undefined) end(ex);
  send(`"t":"cancelled","id":${id}`);
}

function apiCall(ex, method, args) {
  if (ex.done || ex.overflow) return;
  const encoded = encodeArgs(args);
  record(ex, `{"m":"${method}","a":[${encoded[0]}]}`, encoded[1]);
}

function syncCall(ex, method, args) {
  if (ex.done) return undefined;
  report(ex, `"t":"sync","call":{"m":"${method}","a":[${encodeArgs(args)[0]}]}`, true);
  const answer = readSyncLine();
  const r = own(answer, 'r');
  return r === null ? undefined : r;
}

function makeApi(ex) {
  const api = {
    access: {deny(...a) { apiCall(ex, 'access.deny', a); return api; }},
    validation: {error(...a) { apiCall(ex, 'validation.error', a); return api; }},
    user: {
      setAppMetadata(...a) { apiCall(ex, 'user.setAppMetadata', a); return api; },
      setUserMetadata(...a) { apiCall(ex, 'user.setUserMetadata', a); return api; },
      setUserId(...a) { apiCall(ex, 'user.setUserId', a); return api; },
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
  const ex = owner();
  if (!ex || ex.done) return late(ex, 'log', text);
  // Send at most one byte past the budget: the engine cuts the line and adds the marker.
  const room = MAX_LOG_BYTES - ex.logBytes;
  if (room < 0) return;
  const line = wellFormed(text.length > room + 1 ? StringSlice(text, 0, room + 1) : text);
  const bytes = BufferByteLength(line);
  ex.logBytes += bytes;
  record(ex, `{"m":"log","line":${quote(line)}}`, bytes);
}

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
for (let i = 0; i < consoleMethods.length; i++) {
  console[consoleMethods[i]] = (...args) => log(ReflectApply(UtilFormat, util, args));
}
console.dir = (obj, options) => log(UtilInspect(obj, options));

async function runAction(ex, fn, event) {
  delete globalThis.PreUserRegistrationError;
  try {
    await fn(event, makeApi(ex));
    finish(ex, 'returned');
  } catch (e) {
    finish(ex, 'threw', describeError(e, ex.script));
  }
}

function hookThrew(ex, e) {
  if (ex.done) return;
  const message = describeError(e, ex.script);
  record(ex, `{"m":"throw","message":${quote(message)}}`, message.length);
  if (!ex.called) finish(ex, 'threw', message);
}

function runHook(ex, fn, user, context) {
  globalThis.PreUserRegistrationError = PreUserRegistrationError;
  const cb = (err, response) => {
    if (ex.done) return;
    const e = describeCbError(err);
    const r = encodeSized(response);
    record(ex, `{"m":"cb","e":${e},"r":${r[0]}}`, r[1] + e.length);
    if (!ex.called) {
      ex.called = true;
      // Report after the current turn, so that what the Hook does right after cb is seen too.
      SetImmediate(() => finish(ex, 'returned'));
    }
  };
  try {
    const ret = fn(user, context, cb);
    // A promise the Hook returned: its own `then`, as any caller of the Hook would use.
    if (ret && typeof ret.then === 'function') ret.then(undefined, (e) => hookThrew(ex, e));
  } catch (e) {
    hookThrew(ex, e);
  }
}

function execute(msg) {
  const script = own(msg, 'script');
  const kind = own(msg, 'kind');
  const ex = new Execution(NumberCtor(own(msg, 'id')), script);
  begin(ex);
  const entry = load(script, own(msg, 'gen'), undefined);
  if (entry.error) return finish(ex, 'threw', entry.error);
  if (entry.kind !== kind) {
    return finish(ex, 'threw', `${script} is a ${entry.kind}, not a ${kind}`);
  }
  if (entry.kind === 'action') return runAs(ex, runAction, entry.fn, own(msg, 'event'));
  return runAs(ex, runHook, entry.fn, own(msg, 'user'), own(msg, 'context'));
}

// Errors that escape the script's own promise chain (a rejection in a timer, a throw in a
// callback) belong to the execution whose code scheduled them: it fails, or, when it has ended,
// they are reported late.
function escaped(what, e) {
  const ex = owner();
  if (!ex || ex.done) return late(ex, what, describeError(e, ex ? ex.script : ''));
  const message = `${what}: ${describeError(e, ex.script)}`;
  if (ex.called) {  // a Hook that already called cb: logged and ignored
    record(ex, `{"m":"throw","message":${quote(message)}}`, message.length);
    return;
  }
  finish(ex, 'threw', message);
}
ProcessOn(process, 'unhandledRejection',
          pinned((e) => escaped('unhandled promise rejection', e)));
ProcessOn(process, 'uncaughtException', pinned((e) => escaped('uncaught exception', e)));
ProcessOn(process, 'exit', pinned((code) => {
  try {
    const ex = owner();
    outbox += `{"t":"exit","code":${NumberCtor(code) | 0},"id":${ex ? ex.id : 0}}\n`;
    flushOutbox();
  } catch (e) { /* the engine is gone */ }
}));

// With several executions per worker, the engine must tell a slow execution from a blocked event
// loop: while executions run, the worker says it is alive every --heartbeat-ms. The timer is
// unref'd (it keeps nothing alive, and is not counted as work an execution left behind).
const HEARTBEAT_MS = numberArg('heartbeat-ms', 0);
if (HEARTBEAT_MS > 0) {
  const heartbeat = SetInterval(pinned(() => {
    if (inflight > 0) send('"t":"hb"');
  }), HEARTBEAT_MS);
  heartbeat.unref();
}

// ---------------------------------------------------------------------------------------------

function handle(line) {
  let msg;
  try {
    msg = JSONParse(line);
  } catch (e) {
    writeAll(2, `prereg worker: bad request: ${describeError(e, '')}\n`);
    return;
  }
  const type = own(msg, 't');
  if (type === 'load') {
    const entry = load(own(msg, 'script'), own(msg, 'gen'), own(msg, 'source'));
    const id = NumberCtor(own(msg, 'id'));
    send(entry.error ? `"t":"loaded","id":${id},"error":${quote(entry.error)}`
                     : `"t":"loaded","id":${id},"kind":"${entry.kind}"`, true);
  } else if (type === 'exec') {
    execute(msg);
  } else if (type === 'cancel') {
    cancel(NumberCtor(own(msg, 'id')));
  }
}

// Requests arrive on stdin as lines of UTF-8 (see readLines), through the event loop or through
// spinForRequest.
const requests = lineReader();
function feed(bytes) {
  objectPrototypeClean = false;
  readLines(requests, bytes, handle);
}

const spinBuffer = new ArrayBufferCtor(READ_BYTES);
const spinBytes = readView(spinBuffer);
function spinForRequest() {
  if (SPIN_US <= 0 || inflight !== 0) return;
  // A read that finds nothing throws EAGAIN, and capturing the error's stack is most of what each
  // try costs (9 against 6 µs): nothing reads it, so none is captured while spinning.
  const limit = ReflectGetOwnPropertyDescriptor(ErrorCtor, 'stackTraceLimit');
  const quiet = limit !== undefined && ObjectHasOwn(limit, 'value') && limit.writable === true;
  if (quiet) ErrorCtor.stackTraceLimit = 0;
  let n = -1;
  try {
    const until = HrtimeBigint() + SPIN_NS;
    while (n < 0 && HrtimeBigint() < until) {
      try {
        n = ReadSync(REQUEST_FD, spinBytes, 0, READ_BYTES, null);
      } catch (e) {
        if (own(e, 'code') !== 'EAGAIN') break;  // left to the event loop's reader
      }
    }
  } finally {
    if (quiet) ErrorCtor.stackTraceLimit = limit.value;
  }
  // Data, or end of input (seen by the event loop's reader too).
  if (n > 0) feed(new Uint8ArrayCtor(spinBuffer, 0, n));
}

const ProcessExit = process.exit;
// Node's stream code hands each chunk the pipe reads to the stream's `push`, and null at the end
// of input; Readable's own push drops a chunk whose `length` reads 0, and `length` is a getter
// of %TypedArray%.prototype a script can replace. An own `push`, fixed before any script loads,
// takes the chunks first: requests reach feed whatever the script did to the stream's classes.
ReflectDefineProperty(process.stdin, 'push', {
  __proto__: null,
  value: pinned(function push(chunk) {
    if (chunk === null) return ReflectApply(ProcessExit, process, [0]);
    feed(chunk);
    return true;
  }),
});
process.stdin.resume();
// With async hooks on (AsyncLocalStorage above), Node calls the pipe's read callback through
// `callback.apply`: pinned like push.
const stdinHandle = process.stdin._handle;
if (stdinHandle && typeof stdinHandle.onread === 'function') pinned(stdinHandle.onread);

send(`"t":"ready","pid":${process.pid},"node":${quote(process.version)}`, true);
