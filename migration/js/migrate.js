'use strict';
// The transformation behind `prereg migrate`: a Hook's source in; an Action's source, the
// findings and the dependencies out. It edits the Hook's AST with recast, so comments and
// formatting survive; it never rewrites source text with regular expressions.
//
// Usage: node migrate.js --mode rewrite|wrap HOOK.js
// Prints one JSON document: {ok: true, action, findings: [...], dependencies: [...]} or
// {ok: false, error, line, column}. A finding: {rule, severity: info|warning|error, line,
// column, message, suggestion}.
//
// The mapping (SPEC §4 read backwards), in rewrite mode:
//   module.exports = function (user, context, cb)   exports.onExecutePreUserRegistration =
//                                                      async (event, api) => {...}
//   user.x / user.phoneNumber / user.tenant           event.user.x / .phone_number / event.tenant.id
//   user.emailVerified, user.phoneNumberVerified      false (always false before registration)
//   context.request.*, context.connection.id|name     event.request.*, event.connection.*
//   context.connection.tenant                         event.tenant.id
//   context.renderLanguage                            (event.transaction?.locale || event.request.language)
//   context.webtask.secrets                           event.secrets
//   cb(null, {user: {app_metadata, user_metadata}})   one api.user.set*Metadata call per key
//   cb(new PreUserRegistrationError(m, f))            api.access.deny(m, f || m)
//   cb(new Error(m)), cb('m')                          api.access.deny(m)
//   return cb(...)                                    ...; return;
//   cb inside a callback (request, https.get, ...)    the handler awaits a promise settled by cb
//   require('x@1.2.3')                                require('x'), x 1.2.3 listed as a dependency
//   require('x'), anywhere in the file                x listed as a dependency (no version)
// Whatever it cannot prove equivalent becomes a finding.
//
// By concern: lib/report.js (findings, pinned dependencies), lib/hook.js (finding the Hook),
// lib/analyse.js (what no rewrite carries over), lib/emitted.js (code added to the Action),
// lib/rewrite.js and lib/wrap.js (the two modes).


const fs = require('fs');
const recast = require('recast');

const babel = require('recast/parsers/babel');
const {findHook, bareFunctionAt, exportBareFunction} = require('./lib/hook');
const {makeCollector, stripVersionedRequires, listRequires} = require('./lib/report');
const {rewrite} = require('./lib/rewrite');
const {wrap} = require('./lib/wrap');

function main() {
  const args = process.argv.slice(2);
  const modeAt = args.indexOf('--mode');
  const mode = modeAt >= 0 ? args[modeAt + 1] : 'rewrite';
  const file = args.filter((a, i) => a !== '--mode' && i !== modeAt + 1)[0];
  const out = (doc) => process.stdout.write(JSON.stringify(doc) + '\n');
  let source;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return out({ok: false, error: `cannot read ${file}: ${err.message}`, line: 0, column: 0});
  }
  let ast;
  let bare = false;
  const parse = (text) => recast.parse(text, {parser: babel});
  try {
    ast = parse(source);
  } catch (err) {
    const at = bareFunctionAt(source);
    try {
      if (at < 0) throw err;
      source = exportBareFunction(source, at);
      ast = parse(source);
      bare = true;
    } catch (ignored) {
      const loc = err.loc || {};
      return out({ok: false, error: `${file} is not valid JavaScript: ${err.message}`, line: loc.line || 0, column: (loc.column || 0) + 1});
    }
  }
  if (!bare && !findHook(ast) && bareFunctionAt(source) >= 0) {  // function hook(user, context, cb) {...}
    source = exportBareFunction(source, bareFunctionAt(source));
    ast = parse(source);
    bare = true;
  }
  const report = makeCollector();
  const dependencies = [];
  stripVersionedRequires(ast, report, dependencies);
  listRequires(ast, report, dependencies);
  const hook = findHook(ast);
  if (hook && bare) {
    report.add('bare-function', 'info', hook.statement,
      'the Hook is a bare function, as Terraform\'s auth0_hook and the Management API took it; ' +
      'Auth0\'s editor wrote module.exports = before it, and prereg runs it so',
      'nothing to change: the Action exports its own handler');
  }
  if (!hook) {
    return out({ok: false, error: `${file} has no module.exports = function (user, context, cb) {...}: it is not a Hook`, line: 0, column: 0});
  }
  try {
    let action;
    if (mode === 'wrap') {
      action = wrap(source, ast, hook, report);
    } else if (!hook.fn) {
      const loc = hook.statement.loc.start;
      return out({ok: false, error: `${file}: module.exports is not a function written in place, so it cannot be rewritten; try --mode wrap`, line: loc.line, column: loc.column + 1});
    } else {
      action = rewrite(ast, hook, report, dependencies);
    }
    report.findings.sort((x, y) => x.line - y.line || x.column - y.column);
    out({ok: true, action, findings: report.findings, dependencies});
  } catch (err) {
    const loc = err.node && err.node.loc ? err.node.loc.start : {line: 0, column: -1};
    out({ok: false, error: `${file}: could not convert: ${err.message}; try --mode wrap`, line: loc.line, column: loc.column + 1});
  }
}

main();
