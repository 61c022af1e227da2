'use strict';
// rewrite mode: the Hook's AST edited into an idiomatic Action (the mapping is in migrate.js).

const recast = require('recast');

const b = recast.types.builders;
const n = recast.types.namedTypes;
const babel = require('recast/parsers/babel');
const {analyse} = require('./analyse');
const {HELPER_NAME, helperSource, purSource, cbBridgeSource, parseStatements, freshStatement} = require('./emitted');
const {paramName} = require('./hook');
const {metadataCalls, propertyName, rewriteStarter} = require('./response');

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

// Direct API calls for a literal response {user: {app_metadata: {...}, user_metadata: {...}}},
// or null when the response is not that simple.
function literalResponseCalls(res, report, fn) {
  if (!n.ObjectExpression.check(res)) return null;
  const calls = [];
  for (const prop of res.properties) {
    const name = propertyName(prop);
    if (name === null) return null;
    if (name !== 'user') continue;
    if (!n.ObjectExpression.check(prop.value)) return null;
    for (const up of prop.value.properties) {
      const kind = propertyName(up);
      if (kind === null) return null;
      if (kind !== 'app_metadata' && kind !== 'user_metadata') continue;
      const more = n.ObjectExpression.check(up.value) ? metadataCalls(kind, up.value, fn) : null;
      if (!more) return null;
      calls.push(...more);
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
// `localError`: the file declares its own PreUserRegistrationError, which the helper treats as
// the Hook adapter did.
// `userAsResponse`: the name of the Hook's user parameter when it is never reassigned nor given a
// 'user' field, so that cb(null, user) sets nothing.
function translateCallback(args, report, needs, node, fn, localError, userAsResponse) {
  const [err, res] = args;
  if (args.length === 0 || (isNullish(err) && (args.length < 2 || isNullish(res)))) return [];
  if (isNullish(err)) {
    if (n.ObjectExpression.check(res) && res.properties.length === 0) return [];
    if (userAsResponse && n.Identifier.check(res) && res.name === userAsResponse) {
      report.add('user-as-response', 'info', node,
        `cb(null, ${res.name}, ...): a Hook's user has no 'user' field, so this response set nothing (only response.user.app_metadata and user_metadata count)`,
        'nothing to change; to set metadata, call api.user.setAppMetadata / setUserMetadata');
      return [];
    }
    const calls = literalResponseCalls(res, report, fn);
    if (calls !== null) return calls;
    needs.helper = true;
    report.add('metadata-merge', 'info', node,
      'the response is built at run time; prereg migrate applies it with a helper that sets each top-level metadata key, as the Hook adapter did',
      'replace the response object with direct api.user.setAppMetadata/setUserMetadata calls when convenient');
    return [b.expressionStatement(b.callExpression(b.identifier(HELPER_NAME), [b.identifier('api'), b.nullLiteral(), res]))];
  }
  if (n.NewExpression.check(err) && n.Identifier.check(err.callee) &&
      !(localError && err.callee.name === 'PreUserRegistrationError')) {
    const [m, f] = err.arguments;
    if (err.callee.name === 'PreUserRegistrationError' && m && isStringish(m) && err.arguments.length <= 2) {
      let friendly;
      if (!f) friendly = m;
      else if (n.StringLiteral.check(f)) friendly = f.value === '' ? m : f;
      else if (n.TemplateLiteral.check(f) && f.expressions.length === 0) friendly = f.quasis[0].value.cooked === '' ? m : f;
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
function mapContextMember2(p1, p2, report, node) {
  if (p1 === 'request' && (p2 === 'ip' || p2 === 'language')) return e(`event.request.${p2}`);
  if (p1 === 'request') {
    report.add('context-field', 'warning', node,
      `context.request.${p2} was not part of a Hook's context (it held ip and language only), so the Hook saw undefined; the Action keeps undefined`,
      `use event.request.${p2} if the Action should see the value the Hook never had`);
    return b.identifier('undefined');
  }
  if (p1 === 'connection' && (p2 === 'id' || p2 === 'name')) return e(`event.connection.${p2}`);
  if (p1 === 'connection' && p2 === 'tenant') return e('event.tenant.id');
  if (p1 === 'webtask' && p2 === 'secrets') return e('event.secrets');
  if (p1 === 'webtask' && p2 === 'storage') return b.identifier('undefined');
  return null;
}

function mapContextMember1(p1, report, node) {
  switch (p1) {
    case 'request': return e('({ip: event.request.ip, language: event.request.language})');
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

// The Hook's parameter rebuilt from the event; `let` when the Hook assigns to it.
function userShim(name, kind) {
  return freshStatement(`${kind} ${name} = {tenant: event.tenant.id, username: event.user.username, email: event.user.email, emailVerified: false, phoneNumber: event.user.phone_number, phoneNumberVerified: false, user_metadata: event.user.user_metadata, app_metadata: event.user.app_metadata};`);
}

function contextShim(name, kind) {
  return freshStatement(`${kind} ${name} = {renderLanguage: event.transaction?.locale || event.request.language, requestLanguage: event.request.language, request: {ip: event.request.ip, language: event.request.language}, connection: {id: event.connection.id, name: event.connection.name, tenant: event.tenant.id}, webtask: {secrets: event.secrets}};`);
}

// The comments of a replaced statement, on the statements that replace it.
function keepComments(old, statements) {
  const comments = old.comments || [];
  if (!comments.length || !statements.length) return;
  statements[0].comments = comments.filter((c) => c.leading);
  statements[statements.length - 1].comments =
    (statements[statements.length - 1].comments || []).concat(comments.filter((c) => c.trailing));
}

// Multi-line template literals printed anew, so recast keeps their lines as written wherever their
// statement moves (reused source is re-indented with it; new templates are locked); a string
// continued over lines (a backslash at the end) is printed on one line, with the same value.
function keepLiteralLines(ast) {
  recast.visit(ast, {
    visitTemplateLiteral(path) {
      const loc = path.node.loc;
      if (loc && loc.start.line !== loc.end.line) {
        const quasis = path.node.quasis.map((q) => b.templateElement({raw: q.value.raw, cooked: q.value.cooked}, q.tail));
        path.replace(b.templateLiteral(quasis, path.node.expressions));
      }
      this.traverse(path);
    },
    visitStringLiteral(path) {  // 'a\<newline>b': its value, on one line
      const loc = path.node.loc;
      if (loc && loc.start.line !== loc.end.line) path.replace(b.stringLiteral(path.node.value));
      return false;
    },
  });
  return ast;
}

// Is this identifier written to: `x = ...`, `x++`, `[x] = ...`, `for (x of ...)`?
function isWriteTarget(path) {
  let child = path;
  let parent = path.parent;
  while (parent && (n.ObjectPattern.check(parent.node) || n.ArrayPattern.check(parent.node) ||
                    n.RestElement.check(parent.node) || n.AssignmentPattern.check(parent.node) ||
                    (n.ObjectProperty.check(parent.node) && parent.node.value === child.node))) {
    if (n.AssignmentPattern.check(parent.node) && parent.node.left !== child.node) return false;
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  const p = parent.node;
  if (n.AssignmentExpression.check(p)) return p.left === child.node;
  if (n.UpdateExpression.check(p)) return true;
  if (n.ForInStatement.check(p) || n.ForOfStatement.check(p)) return p.left === child.node;
  return false;
}

// Is `callPath` a deny, `cb(error)`, written as a statement the Hook does not return after, with
// another cb call later in the source? Its code between then ran in the Hook, not in the Action.
function fallsThrough(callPath, stmtPath, usage, cbName) {
  const call = callPath.node;
  if (!n.ExpressionStatement.check(stmtPath.node) || isNullish(call.arguments[0])) return false;
  const siblings = stmtPath.parent && stmtPath.parent.node.body;
  if (Array.isArray(siblings)) {
    const next = siblings[siblings.indexOf(stmtPath.node) + 1];
    if (next && (n.ReturnStatement.check(next) || n.ThrowStatement.check(next))) return false;
  }
  return usage.cbDirect.concat(usage.cbIndirect).some((other) => other !== call.callee &&
    other.name === cbName && other.start > call.end);
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

  // The starter pattern first: it removes `response.user = user`, a use of the whole user.
  if (n.BlockStatement.check(fn.body)) rewriteStarter(fn, names, report);

  // Pass 1: how are user, context and cb used?
  const usage = {bareUser: false, bareContext: false, userFieldWritten: false, reassigned: new Set(),
    cbIndirect: [], cbDirect: []};
  recast.visit(fnPath.get('body'), {
    visitIdentifier(path) {
      const node = path.node;
      const parent = path.parent && path.parent.node;
      const asObject = parent && n.MemberExpression.check(parent) && parent.object === node;
      const asProperty = parent && n.MemberExpression.check(parent) && parent.property === node && !parent.computed;
      const asKey = parent && n.ObjectProperty.check(parent) && parent.key === node && !parent.computed;
      if (asProperty || asKey) return false;
      if (isWriteTarget(path) && bound(path, node.name)) usage.reassigned.add(node.name);
      // An argument of a cb call translated in place: cb's third and later arguments are dropped
      // (Auth0 ignored them), and so is cb(null, user) unless the Hook gave user a 'user' field.
      const cbArgument = parent && n.CallExpression.check(parent) && n.Identifier.check(parent.callee) &&
        parent.callee.name === names.cb && enclosingFunction(path) === fn ? parent.arguments.indexOf(node) : -1;
      if (bound(path, names.user) && node.name === names.user) {
        const asResponse = cbArgument === 1 && isNullish(parent.arguments[0]);
        if (asObject && memberName(parent) === 'user' && isWriteTarget(path.parent)) usage.userFieldWritten = true;
        if (asResponse || cbArgument >= 2) usage.droppedUser = true;
        else if (!asObject) usage.bareUser = true;
      }
      if (bound(path, names.context) && node.name === names.context) {
        if (cbArgument >= 2) usage.droppedContext = true;
        else if (!asObject) usage.bareContext = true;
      }
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
  // Arguments are dropped only from cb calls translated in place, and cb(null, user) only when
  // user never gets a 'user' field; otherwise the helper or the bridge receives them.
  if (usage.droppedUser && (bridge || usage.userFieldWritten)) usage.bareUser = true;
  if (usage.droppedContext && bridge) usage.bareContext = true;

  // Pass 2: member mappings (skipped for a parameter also used whole: a shim keeps its shape).
  recast.visit(fnPath.get('body'), {
    visitMemberExpression(path) {
      const node = path.node;
      const inner = node.object;
      if (!usage.bareContext && n.MemberExpression.check(inner) && n.Identifier.check(inner.object) &&
          inner.object.name === names.context && bound(path, names.context)) {
        const p1 = memberName(inner), p2 = memberName(node);
        const mapped = p1 && p2 && mapContextMember2(p1, p2, report, node);
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
          if (fallsThrough(path, stmtPath, usage, names.cb)) {
            report.add('cb-after-deny', 'warning', path.node,
              'the Hook does not return after this cb, and calls cb again further on: only the first call counted (the second was ignored, but the code between ran); the Action returns here, so that code no longer runs',
              'make sure nothing after this cb mattered (a log, a request), or move it before the deny');
          }
          const statements = translateCallback(path.node.arguments, report, needs, path.node, fn,
            Boolean(path.scope.lookup('PreUserRegistrationError')),
            names.user && !usage.bareUser && !usage.reassigned.has(names.user) && !usage.userFieldWritten &&
              path.scope.lookup(names.user) === fnScope ? names.user : null);
          const isLast = stmtPath.parent && stmtPath.parent.node === body &&
            body.body[body.body.length - 1] === stmtPath.node;
          if (!isLast || (!statements.length && stmtPath.node.comments)) statements.push(b.returnStatement(null));
          keepComments(stmtPath.node, statements);
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
    newBody.unshift(userShim(names.user, usage.reassigned.has(names.user) ? 'let' : 'const'));
  }
  if (usage.bareContext) {
    report.add('context-object', 'info', fn,
      `the Hook uses its '${names.context}' object whole; the Action rebuilds it from the event`,
      'use event fields directly when convenient');
    newBody.unshift(contextShim(names.context, usage.reassigned.has(names.context) ? 'let' : 'const'));
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
  return recast.print(keepLiteralLines(ast), {quote: 'single'}).code;
}

module.exports = {rewrite};
