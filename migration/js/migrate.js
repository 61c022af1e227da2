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
// Whatever it cannot prove equivalent becomes a finding.

const fs = require('fs');
const recast = require('recast');

const b = recast.types.builders;
const n = recast.types.namedTypes;
const babel = require('recast/parsers/babel');

const HELPER_NAME = 'preregApplyHookCallback';

// ---------------------------------------------------------------------------------------------
// Findings and dependencies.

function makeCollector() {
  const findings = [];
  const seen = new Set();
  return {
    findings,
    add(rule, severity, node, message, suggestion) {
      const line = node && node.loc ? node.loc.start.line : 0;
      const column = node && node.loc ? node.loc.start.column + 1 : 0;
      const key = `${rule}:${line}`;  // one finding per rule and line
      if (seen.has(key)) return;
      seen.add(key);
      findings.push({rule, severity, line, column, message, suggestion});
    },
  };
}

const VERSIONED = /^((?:@[^/@]+\/)?[^/@]+)@([^/]+)$/;

// require('x@1.2.3') -> require('x'), anywhere in the file.
function stripVersionedRequires(ast, report, dependencies) {
  recast.visit(ast, {
    visitCallExpression(path) {
      const node = path.node;
      if (n.Identifier.check(node.callee) && node.callee.name === 'require' &&
          node.arguments.length === 1 && n.StringLiteral.check(node.arguments[0])) {
        const m = VERSIONED.exec(node.arguments[0].value);
        if (m) {
          dependencies.push({name: m[1], version: m[2], line: node.loc.start.line});
          report.add('pinned-require', 'info', node,
            `require('${node.arguments[0].value}') pins a version; Actions declare dependencies separately`,
            `add ${m[1]}@${m[2]} to the Action's dependencies (Dashboard or deploy tooling)`);
          node.arguments[0] = b.stringLiteral(m[1]);
        }
      }
      this.traverse(path);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Finding the Hook.

function findHook(ast) {
  for (const stmt of ast.program.body) {
    if (!n.ExpressionStatement.check(stmt)) continue;
    const e = stmt.expression;
    if (!n.AssignmentExpression.check(e) || !n.MemberExpression.check(e.left)) continue;
    const l = e.left;
    if (n.Identifier.check(l.object) && l.object.name === 'module' &&
        n.Identifier.check(l.property) && l.property.name === 'exports' && !l.computed) {
      if (n.FunctionExpression.check(e.right) || n.ArrowFunctionExpression.check(e.right)) {
        return {statement: stmt, fn: e.right};
      }
      return {statement: stmt, fn: null};
    }
  }
  return null;
}

function paramName(fn, i) {
  const p = fn.params[i];
  return p && n.Identifier.check(p) ? p.name : null;
}

// ---------------------------------------------------------------------------------------------
// Shared analysis: constructs that no rewrite can carry over.

function analyse(ast, fnPath, names, report) {
  const fnScope = fnPath.scope;
  const bound = (path, name) => {
    const scope = path.scope && path.scope.lookup(name);
    return scope === fnScope;
  };
  recast.visit(fnPath, {
    visitMemberExpression(path) {
      const node = path.node;
      const prop = !node.computed && n.Identifier.check(node.property) ? node.property.name :
        (n.StringLiteral.check(node.property) ? node.property.value : null);
      if (names.user && n.Identifier.check(node.object) && node.object.name === names.user &&
          bound(path, names.user) && prop === 'password') {
        report.add('password', 'error', node,
          'user.password: Actions never receive the password, so this check cannot run there',
          'enforce password rules with the connection\'s password policy and remove this code');
      }
      if (names.context && n.MemberExpression.check(node.object) &&
          n.Identifier.check(node.object.object) && node.object.object.name === names.context &&
          bound(path, names.context) && !node.object.computed &&
          n.Identifier.check(node.object.property) && node.object.property.name === 'webtask' &&
          prop === 'storage') {
        report.add('webtask-storage', 'error', node,
          'context.webtask.storage has no equivalent in Actions',
          'keep this state in your own store (an API, a database) or in api.cache if losing it is harmless');
      }
      this.traverse(path);
    },
    visitIdentifier(path) {
      const node = path.node;
      const parent = path.parent && path.parent.node;
      const isProperty = parent && (n.MemberExpression.check(parent) || n.OptionalMemberExpression.check(parent)) &&
        parent.property === node && !parent.computed;
      const isKey = parent && (n.ObjectProperty.check(parent) || n.Property.check(parent)) &&
        parent.key === node && !parent.computed;
      if (node.name === 'auth0' && !isProperty && !isKey && !path.scope.lookup('auth0')) {
        report.add('auth0-global', 'error', node,
          'the global auth0 object (Management API access) does not exist in Actions',
          'create a Management API client with the auth0 npm package and credentials from event.secrets');
      }
      this.traverse(path);
    },
    visitAssignmentExpression(path) {
      flagModuleState(path, path.node.left, report, fnScope);
      this.traverse(path);
    },
    visitUpdateExpression(path) {
      flagModuleState(path, path.node.argument, report, fnScope);
      this.traverse(path);
    },
  });
}

// Writes from the handler to variables declared outside it.
function flagModuleState(path, target, report, fnScope) {
  let root = target;
  while (n.MemberExpression.check(root)) root = root.object;
  if (!n.Identifier.check(root)) return;
  const scope = path.scope.lookup(root.name);
  if (!scope) {
    if (root.name === 'global' || root.name === 'globalThis') {
      report.add('module-state', 'warning', target,
        `the Hook writes to ${root.name}, which persists between executions`,
        'keep per-request data in local variables; cache across requests with api.cache');
    }
    return;
  }
  let s = path.scope;
  let inside = false;
  while (s) {
    if (s === scope) break;
    if (s === fnScope) inside = true;
    s = s.parent;
  }
  if (inside && scope.isGlobal) {
    report.add('module-state', 'warning', target,
      `module-level state: '${root.name}' is declared outside the Hook and changed by it; it lives as long as the runtime instance, which Actions and Hooks manage differently`,
      'do not rely on it between executions; use api.cache for values worth keeping');
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers emitted into the Action when a translation needs the Hook adapter's exact semantics.

function helperSource() {
  return `
// Added by prereg migrate: what Auth0 did with a Hook's cb(error, response), as Actions API
// calls (SPEC §4). Metadata keys are set one by one; values go through JSON, as the Hook's did.
function ${HELPER_NAME}(api, error, response) {
  if (error) {
    if (error.name === 'PreUserRegistrationError') {
      const friendly = error.friendlyMessage;
      api.access.deny(String(error.message), friendly === undefined || friendly === null ? undefined : String(friendly));
    } else {
      api.access.deny(error instanceof Error ? String(error.message) : String(error.message || error));
    }
    return;
  }
  const user = response && response.user;
  if (!user || typeof user !== 'object') return;
  for (const kind of ['app_metadata', 'user_metadata']) {
    if (user[kind] === undefined) continue;
    const metadata = user[kind] === null ? null : JSON.parse(JSON.stringify(user[kind]));
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      // The engine reports this as an invalid API call, as it does for the Hook.
      api.user.setAppMetadata('response.user.' + kind, metadata);
      continue;
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (kind === 'app_metadata') api.user.setAppMetadata(key, value);
      else api.user.setUserMetadata(key, value);
    }
  }
}
`;
}

function purSource() {
  return `
// Added by prereg migrate: Hooks had this class as a global; Actions do not.
class PreUserRegistrationError extends Error {
  constructor(message, friendlyMessage) {
    super(message);
    this.name = 'PreUserRegistrationError';
    this.friendlyMessage = friendlyMessage || message;
  }
}
`;
}

// `await` until the Hook's first cb (or its first failure), translating that cb into API calls.
// `run` is the code that starts the Hook, indented by `indent`; it may call `fail(e)`.
function cbBridgeSource(cbName, run, indent) {
  const pad = (text) => text.split('\n').map((l) => (l ? indent + l : l)).join('\n');
  return pad(`await new Promise((resolve, reject) => {
  let settled = false;
  const ${cbName} = (error, response) => {
    if (settled) return;
    settled = true;
    try { ${HELPER_NAME}(api, error, response); } catch (e) { return reject(e); }
    resolve();
  };
  const fail = (e) => { if (!settled) { settled = true; reject(e); } };
${run}
});`);
}

function parseStatements(source) {
  return recast.parse(source, {parser: babel}).program.body;
}

// ---------------------------------------------------------------------------------------------
// rewrite

// An expression that is certainly a string: a literal, a template, or a concatenation with one.
function isStringish(node) {
  if (n.StringLiteral.check(node) || n.TemplateLiteral.check(node)) return true;
  return n.BinaryExpression.check(node) && node.operator === '+' &&
    (isStringish(node.left) || isStringish(node.right));
}

function isNullish(node) {
  return !node || n.NullLiteral.check(node) ||
    (n.Identifier.check(node) && node.name === 'undefined');
}

function isJsonLiteral(node) {
  if (n.StringLiteral.check(node) || n.NumericLiteral.check(node) || n.BooleanLiteral.check(node) ||
      n.NullLiteral.check(node)) return true;
  if (n.TemplateLiteral.check(node)) return node.expressions.length === 0;
  if (n.ArrayExpression.check(node)) return node.elements.every((e) => e && isJsonLiteral(e));
  if (n.ObjectExpression.check(node)) {
    return node.properties.every((p) => n.ObjectProperty.check(p) && !p.computed && isJsonLiteral(p.value));
  }
  return false;
}

function keyName(prop) {
  if (!n.ObjectProperty.check(prop) || prop.computed) return null;
  if (n.Identifier.check(prop.key)) return prop.key.name;
  if (n.StringLiteral.check(prop.key)) return prop.key.value;
  return null;
}

// Direct API calls for a literal response {user: {app_metadata: {...}, user_metadata: {...}}},
// or null when the response is not that simple.
function literalResponseCalls(res, report) {
  if (!n.ObjectExpression.check(res)) return null;
  const calls = [];
  for (const prop of res.properties) {
    const name = keyName(prop);
    if (name === null) return null;
    if (name !== 'user') continue;
    if (!n.ObjectExpression.check(prop.value)) return null;
    for (const up of prop.value.properties) {
      const kind = keyName(up);
      if (kind === null) return null;
      if (kind !== 'app_metadata' && kind !== 'user_metadata') continue;
      if (!n.ObjectExpression.check(up.value)) return null;
      for (const entry of up.value.properties) {
        const key = keyName(entry);
        if (key === null || !isJsonLiteral(entry.value)) return null;
        const method = kind === 'app_metadata' ? 'setAppMetadata' : 'setUserMetadata';
        calls.push(b.expressionStatement(b.callExpression(
          b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier('user')), b.identifier(method)),
          [b.stringLiteral(key), entry.value])));
      }
      if (up.value.properties.length) {
        report.add('metadata-merge', 'info', up,
          `each key of the returned ${kind} becomes one ${kind === 'app_metadata' ? 'setAppMetadata' : 'setUserMetadata'} call, merged into the user's metadata; a nested object replaces the stored value whole`,
          'no change needed unless the Hook relied on replacing the whole metadata object');
      }
    }
  }
  return calls;
}

function apiCall(path2, method, args) {
  return b.expressionStatement(b.callExpression(
    b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier(path2)), b.identifier(method)), args));
}

// Statements equivalent to cb(...args), or a helper call. `needs` records helpers used.
function translateCallback(args, report, needs, node) {
  const [err, res] = args;
  if (args.length === 0 || (isNullish(err) && (args.length < 2 || isNullish(res)))) return [];
  if (isNullish(err)) {
    if (n.ObjectExpression.check(res) && res.properties.length === 0) return [];
    const calls = literalResponseCalls(res, report);
    if (calls !== null) return calls;
    needs.helper = true;
    report.add('metadata-merge', 'info', node,
      'the response is built at run time; prereg migrate applies it with a helper that sets each top-level metadata key, as the Hook adapter did',
      'replace the response object with direct api.user.setAppMetadata/setUserMetadata calls when convenient');
    return [b.expressionStatement(b.callExpression(b.identifier(HELPER_NAME), [b.identifier('api'), b.nullLiteral(), res]))];
  }
  if (n.NewExpression.check(err) && n.Identifier.check(err.callee)) {
    const [m, f] = err.arguments;
    if (err.callee.name === 'PreUserRegistrationError' && m && isStringish(m) && err.arguments.length <= 2) {
      let friendly;
      if (!f) friendly = m;
      else if (n.StringLiteral.check(f)) friendly = f.value === '' ? m : f;
      else friendly = b.logicalExpression('||', f, m);
      return [apiCall('access', 'deny', [m, friendly])];
    }
    if (err.callee.name === 'Error' && m && isStringish(m) && err.arguments.length === 1) {
      return [apiCall('access', 'deny', [m])];
    }
  }
  if (isStringish(err) && !(n.StringLiteral.check(err) && err.value === '') && args.length <= 2) {
    return [apiCall('access', 'deny', [err])];
  }
  needs.helper = true;
  return [b.expressionStatement(b.callExpression(b.identifier(HELPER_NAME), [b.identifier('api'), err, res || b.identifier('undefined')]))];
}

function memberName(node) {
  if (!node.computed && n.Identifier.check(node.property)) return node.property.name;
  if (node.computed && n.StringLiteral.check(node.property)) return node.property.value;
  return null;
}

// An expression from source text; text wrapped in parentheses keeps them (an object literal).
const e = (code) => recast.parse(code, {parser: babel}).program.body[0].expression;

// user.x -> event.user.x (and the renamed fields); returns the replacement or null.
function mapUserMember(prop, report, node) {
  switch (prop) {
    case 'phoneNumber': return e('event.user.phone_number');
    case 'tenant': return e('event.tenant.id');
    case 'emailVerified':
    case 'phoneNumberVerified':
      report.add('verified-flag', 'warning', node,
        `user.${prop} is always false before the user exists; Actions have no such field, so it is replaced with false`,
        'remove the check, or verify after sign-up (post-login Action, event.user.email_verified)');
      return b.booleanLiteral(false);
    case 'password': return e('event.user.password');  // undefined: Actions never get it
    default: return b.memberExpression(e('event.user'), b.identifier(prop));
  }
}

// context.a.b -> the event equivalent, or null.
function mapContextMember2(p1, p2) {
  if (p1 === 'request') return b.memberExpression(e('event.request'), b.identifier(p2));
  if (p1 === 'connection' && (p2 === 'id' || p2 === 'name')) return e(`event.connection.${p2}`);
  if (p1 === 'connection' && p2 === 'tenant') return e('event.tenant.id');
  if (p1 === 'webtask' && p2 === 'secrets') return e('event.secrets');
  if (p1 === 'webtask' && p2 === 'storage') return b.identifier('undefined');
  return null;
}

function mapContextMember1(p1, report, node) {
  switch (p1) {
    case 'request': return e('event.request');
    case 'renderLanguage': return e('(event.transaction?.locale || event.request.language)');
    case 'requestLanguage': return e('event.request.language');
    case 'connection': return e('({id: event.connection.id, name: event.connection.name, tenant: event.tenant.id})');
    case 'webtask': return e('({secrets: event.secrets})');
    case 'clientID':
      report.add('client-id', 'warning', node,
        'context.clientID becomes event.client?.client_id; prereg\'s Hook projection has no clientID, so the two may differ when run on prereg',
        'check the Action against events that carry event.client');
      return e('event.client?.client_id');
    default:
      report.add('context-field', 'warning', node,
        `context.${p1} has no documented Actions equivalent and is replaced with undefined`,
        'find the value on the event object (see the pre-user-registration event reference)');
      return b.identifier('undefined');
  }
}

function userShim(name) {
  return parseStatements(`const ${name} = {tenant: event.tenant.id, username: event.user.username, email: event.user.email, emailVerified: false, phoneNumber: event.user.phone_number, phoneNumberVerified: false, user_metadata: event.user.user_metadata, app_metadata: event.user.app_metadata};`)[0];
}

function contextShim(name) {
  return parseStatements(`const ${name} = {renderLanguage: event.transaction?.locale || event.request.language, requestLanguage: event.request.language, request: {ip: event.request.ip, language: event.request.language}, connection: {id: event.connection.id, name: event.connection.name, tenant: event.tenant.id}, webtask: {secrets: event.secrets}};`)[0];
}

// Does this statement list end every path by calling cb, returning its result or throwing?
function terminates(statements, cbName) {
  if (!statements.length) return false;
  const last = statements[statements.length - 1];
  const callsCb = (expr) => expr && n.CallExpression.check(expr) && n.Identifier.check(expr.callee) && expr.callee.name === cbName;
  if (n.ExpressionStatement.check(last)) return callsCb(last.expression);
  if (n.ReturnStatement.check(last)) return callsCb(last.argument);
  if (n.ThrowStatement.check(last)) return true;
  if (n.BlockStatement.check(last)) return terminates(last.body, cbName);
  if (n.IfStatement.check(last)) {
    const branch = (s) => s && (n.BlockStatement.check(s) ? terminates(s.body, cbName) : terminates([s], cbName));
    return Boolean(branch(last.consequent) && branch(last.alternate));
  }
  if (n.TryStatement.check(last)) {
    return terminates(last.block.body, cbName) && (!last.handler || terminates(last.handler.body.body, cbName));
  }
  return false;
}

function rewrite(ast, hook, report, dependencies) {
  const fn = hook.fn;
  const names = {user: paramName(fn, 0), context: paramName(fn, 1), cb: paramName(fn, 2)};
  let fnPath = null;
  recast.visit(ast, {
    visitFunction(path) {
      if (path.node === fn) { fnPath = path; return false; }
      this.traverse(path);
    },
  });
  analyse(ast, fnPath, names, report);
  const fnScope = fnPath.scope;
  const bound = (path, name) => name && path.scope && path.scope.lookup(name) === fnScope;
  const enclosingFunction = (path) => {
    let p = path.parent;
    while (p && !n.Function.check(p.node)) p = p.parent;
    return p ? p.node : null;
  };

  // Pass 1: how are user, context and cb used?
  const usage = {bareUser: false, bareContext: false, cbIndirect: [], cbDirect: []};
  recast.visit(fnPath.get('body'), {
    visitIdentifier(path) {
      const node = path.node;
      const parent = path.parent && path.parent.node;
      const asObject = parent && n.MemberExpression.check(parent) && parent.object === node;
      const asProperty = parent && n.MemberExpression.check(parent) && parent.property === node && !parent.computed;
      const asKey = parent && n.ObjectProperty.check(parent) && parent.key === node && !parent.computed;
      if (asProperty || asKey) return false;
      if (bound(path, names.user) && node.name === names.user && !asObject) usage.bareUser = true;
      if (bound(path, names.context) && node.name === names.context && !asObject) usage.bareContext = true;
      if (bound(path, names.cb) && node.name === names.cb) {
        const isCallee = parent && n.CallExpression.check(parent) && parent.callee === node;
        const statement = path.parent.parent && path.parent.parent.node;
        const direct = isCallee && enclosingFunction(path) === fn && statement &&
          (n.ExpressionStatement.check(statement) || n.ReturnStatement.check(statement));
        (direct ? usage.cbDirect : usage.cbIndirect).push(node);
      }
      return false;
    },
  });
  // Object shorthand {user} and similar bare uses count as bare.
  recast.visit(fnPath.get('body'), {
    visitObjectProperty(path) {
      const p = path.node;
      if (p.shorthand && n.Identifier.check(p.value)) {
        if (p.value.name === names.user && bound(path, names.user)) usage.bareUser = true;
        if (p.value.name === names.context && bound(path, names.context)) usage.bareContext = true;
      }
      this.traverse(path);
    },
  });
  const bridge = usage.cbIndirect.length > 0;

  // Pass 2: member mappings (skipped for a parameter also used whole: a shim keeps its shape).
  recast.visit(fnPath.get('body'), {
    visitMemberExpression(path) {
      const node = path.node;
      const inner = node.object;
      if (!usage.bareContext && n.MemberExpression.check(inner) && n.Identifier.check(inner.object) &&
          inner.object.name === names.context && bound(path, names.context)) {
        const p1 = memberName(inner), p2 = memberName(node);
        const mapped = p1 && p2 && mapContextMember2(p1, p2);
        if (mapped) { path.replace(mapped); return false; }
      }
      if (n.Identifier.check(inner) && bound(path, inner.name)) {
        const prop = memberName(node);
        if (inner.name === names.user && !usage.bareUser) {
          if (prop === null) {
            report.add('user-computed', 'warning', node,
              'user[...] with a computed name: Hook and Action field names differ (phoneNumber/phone_number, tenant)',
              'use the event.user field names');
            path.replace(b.memberExpression(e('event.user'), node.property, true));
            return false;
          }
          path.replace(mapUserMember(prop, report, node));
          return false;
        }
        if (inner.name === names.context && !usage.bareContext && prop !== null) {
          path.replace(mapContextMember1(prop, report, node));
          return false;
        }
      }
      this.traverse(path);
    },
  });

  // Pass 3: cb.
  const needs = {helper: false, pur: false};
  const body = fnPath.node.body;
  let newBody;
  if (!n.BlockStatement.check(body)) {
    throw Object.assign(new Error('the Hook is an arrow function without a block body'), {node: fn});
  }
  if (!bridge && names.cb && !terminates(body.body, names.cb)) {
    report.add('missing-cb', 'warning', fn,
      'some path through the Hook may finish without calling cb: the Hook then timed out, while the Action returns and allows the sign-up',
      'make every path end with a decision (api.access.deny or return)');
  }
  if (bridge) {
    for (const node of usage.cbIndirect) {
      report.add('callback-bridge', 'info', node,
        'cb is called inside a callback or passed on; the Action waits on a promise that the first cb settles, as the Hook did',
        'when convenient, rewrite the callback code with await (for example axios or fetch) and call the API directly');
    }
    needs.helper = true;
    const isAsync = fn.async;
    const cbName = names.cb;
    const wrapper = parseStatements(cbBridgeSource(cbName,
      isAsync ? '  (async () => {})().catch(fail);' : '  try {} catch (e) { fail(e); }', ''))[0];
    // Put the Hook's own statements inside the async IIFE or the try block.
    let holder = null;
    recast.visit(wrapper, {
      visitBlockStatement(path) {
        if (path.node.body.length === 0 && !holder) { holder = path.node; return false; }
        this.traverse(path);
      },
    });
    holder.body = body.body;
    newBody = [wrapper];
  } else {
    for (const node of usage.cbDirect) {
      // Locate the statement path of this call and replace it.
      recast.visit(fnPath.get('body'), {
        visitCallExpression(path) {
          if (path.node.callee !== node) { this.traverse(path); return; }
          const stmtPath = path.parent;
          const statements = translateCallback(path.node.arguments, report, needs, path.node);
          const isLast = stmtPath.parent && stmtPath.parent.node === body &&
            body.body[body.body.length - 1] === stmtPath.node;
          if (!isLast) statements.push(b.returnStatement(null));
          if (Array.isArray(stmtPath.parent.value) || Array.isArray(stmtPath.parentPath.value)) {
            stmtPath.replace(...statements);
          } else {
            stmtPath.replace(b.blockStatement(statements));
          }
          return false;
        },
      });
    }
    newBody = body.body;
  }
  if (usage.bareUser) {
    report.add('user-object', 'info', fn,
      `the Hook uses its '${names.user}' object whole; the Action rebuilds it from the event (without password)`,
      'use event.user fields directly when convenient');
    newBody.unshift(userShim(names.user));
  }
  if (usage.bareContext) {
    report.add('context-object', 'info', fn,
      `the Hook uses its '${names.context}' object whole; the Action rebuilds it from the event`,
      'use event fields directly when convenient');
    newBody.unshift(contextShim(names.context));
  }

  // PreUserRegistrationError still referenced (outside a translated cb) needs the class.
  recast.visit(ast, {
    visitIdentifier(path) {
      if (path.node.name === 'PreUserRegistrationError' && !path.scope.lookup('PreUserRegistrationError')) needs.pur = true;
      return false;
    },
  });

  const handler = b.arrowFunctionExpression([b.identifier('event'), b.identifier('api')], b.blockStatement(newBody));
  handler.async = true;
  hook.statement.expression = b.assignmentExpression('=',
    b.memberExpression(b.identifier('exports'), b.identifier('onExecutePreUserRegistration')), handler);
  if (needs.pur) ast.program.body.push(...parseStatements(purSource()));
  if (needs.helper) ast.program.body.push(...parseStatements(helperSource()));
  return recast.print(ast, {quote: 'single'}).code;
}

// ---------------------------------------------------------------------------------------------
// wrap: the Hook unchanged, inside an Action with the Hook adapter.

function wrap(source, ast, hook, report) {
  const names = hook.fn ? {user: paramName(hook.fn, 0), context: paramName(hook.fn, 1), cb: paramName(hook.fn, 2)} : {};
  if (hook.fn) {
    let fnPath = null;
    recast.visit(ast, {
      visitFunction(path) {
        if (path.node === hook.fn) { fnPath = path; return false; }
        this.traverse(path);
      },
    });
    analyse(ast, fnPath, names, report);
  }
  const hookSource = recast.print(ast, {quote: 'single'}).code;  // only pinned requires changed
  const indented = hookSource.split('\n').map((l) => (l ? '  ' + l : l)).join('\n');
  return `// Generated by prereg migrate --mode wrap: the Hook below runs unchanged inside this Action.
// The adapter gives it the (user, context, cb) it expects and turns its cb into API calls,
// as Auth0 ran Hooks (prereg SPEC §4). The password is not available to Actions.
${purSource().trim()}

const hook = (() => {
  const module = {exports: {}};
  const exports = module.exports;
  // ---- the Hook, unchanged --------------------------------------------------------------
${indented}
  // ---------------------------------------------------------------------------------------
  return module.exports;
})();

exports.onExecutePreUserRegistration = async (event, api) => {
  const locale = event.transaction && event.transaction.locale;
  const user = {
    tenant: event.tenant && event.tenant.id,
    username: event.user.username,
    email: event.user.email,
    emailVerified: false,
    phoneNumber: event.user.phone_number,
    phoneNumberVerified: false,
    user_metadata: event.user.user_metadata || {},
    app_metadata: event.user.app_metadata || {},
  };
  const context = {
    renderLanguage: typeof locale === 'string' && locale ? locale : event.request.language,
    requestLanguage: event.request.language,
    request: {ip: event.request.ip, language: event.request.language},
    connection: {
      id: event.connection && event.connection.id,
      name: event.connection && event.connection.name,
      tenant: event.tenant && event.tenant.id,
    },
    webtask: {secrets: event.secrets},
  };
${cbBridgeSource('cb', `  try {
    const result = hook(user, context, cb);
    if (result && typeof result.then === 'function') result.then(undefined, fail);
  } catch (e) {
    fail(e);
  }`, '  ')}
};
${helperSource()}`;
}

// ---------------------------------------------------------------------------------------------

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
  try {
    ast = recast.parse(source, {parser: babel});
  } catch (err) {
    const loc = err.loc || {};
    return out({ok: false, error: `${file} is not valid JavaScript: ${err.message}`, line: loc.line || 0, column: (loc.column || 0) + 1});
  }
  const report = makeCollector();
  const dependencies = [];
  stripVersionedRequires(ast, report, dependencies);
  const hook = findHook(ast);
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
