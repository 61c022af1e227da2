'use strict';
// What a Hook hands to cb as its response, read well enough to write direct Actions API calls:
// values that set metadata exactly as the Hook adapter did, and the dashboard's starter pattern
// (`response.user = user; ... cb(null, response)`).
//
// The adapter passes each metadata value through JSON; a direct api.user.set*Metadata call
// refuses a value JSON cannot hold (undefined, a function, NaN). So a value may be set directly
// only when it is never one of those at the top: nested ones are dropped or nulled the same way
// on both paths.

const recast = require('recast');

const b = recast.types.builders;
const n = recast.types.namedTypes;

const STRING_METHODS = new Set(['toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase',
  'trim', 'trimStart', 'trimEnd', 'join', 'substring', 'slice', 'replace', 'replaceAll', 'padStart',
  'padEnd', 'toISOString', 'toFixed', 'normalize', 'repeat', 'toString', 'concat', 'split', 'map', 'filter']);
const BOOLEAN_OPERATORS = new Set(['==', '===', '!=', '!==', '<', '<=', '>', '>=', 'instanceof', 'in']);

// The one `const` declarator of `name` in `fn`, or null when the name is bound anywhere else too
// (a parameter, another declaration): then which binding a use means is not worth proving.
function soleConst(fn, name) {
  if (fn.params.some((p) => n.Identifier.check(p) && p.name === name)) return null;
  let found = null;
  let others = 0;
  recast.visit(fn.body, {
    visitVariableDeclarator(path) {
      if (n.Identifier.check(path.node.id) && path.node.id.name === name) {
        if (path.parent.node.kind === 'const' && !found) found = path.node;
        else ++others;
      } else if (!n.Identifier.check(path.node.id)) {
        recast.visit(path.node.id, {visitIdentifier(p) { if (p.node.name === name) ++others; return false; }});
      }
      this.traverse(path);
    },
    visitFunction(path) {
      if (path.node.id && path.node.id.name === name) ++others;
      if (path.node.params.some((p) => n.Identifier.check(p) && p.name === name)) ++others;
      this.traverse(path);
    },
    visitCatchClause(path) {
      if (path.node.param && n.Identifier.check(path.node.param) && path.node.param.name === name) ++others;
      this.traverse(path);
    },
  });
  return others === 0 ? found : null;
}

// Is `node` certainly a value JSON holds (not undefined, a function, NaN, Infinity) wherever it
// is evaluated in `fn`? `a || b` and `a ?? b` count when `b` does: `a` is then only taken when
// it is truthy (or not nullish), which for sign-up data is a string, number or object — a truthy
// function or Infinity would differ, and migrate's check of its own work would show it.
function isSafeValue(node, fn, depth = 0) {
  if (depth > 8) return false;
  const safe = (x) => isSafeValue(x, fn, depth + 1);
  if (n.StringLiteral.check(node) || n.BooleanLiteral.check(node) || n.NullLiteral.check(node) ||
      n.NumericLiteral.check(node) || n.TemplateLiteral.check(node) || n.ObjectExpression.check(node) ||
      n.ArrayExpression.check(node)) return true;
  if (n.UnaryExpression.check(node)) {
    return node.operator === '!' || node.operator === 'typeof' ||
      (node.operator === '-' && n.NumericLiteral.check(node.argument));
  }
  if (n.BinaryExpression.check(node)) {
    if (BOOLEAN_OPERATORS.has(node.operator)) return true;
    return node.operator === '+' && (isStringLike(node.left) || isStringLike(node.right));
  }
  if (n.LogicalExpression.check(node)) {
    return node.operator === '&&' ? safe(node.left) && safe(node.right) : safe(node.right);
  }
  if (n.ConditionalExpression.check(node)) return safe(node.consequent) && safe(node.alternate);
  if (n.CallExpression.check(node)) {
    const callee = node.callee;
    if (n.Identifier.check(callee)) return callee.name === 'String' || callee.name === 'Boolean';
    if (n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property)) {
      if (n.Identifier.check(callee.object) && callee.object.name === 'Date' && callee.property.name === 'now') return true;
      return STRING_METHODS.has(callee.property.name);  // a string (or array) or a throw, on both paths
    }
    return false;
  }
  if (n.Identifier.check(node)) {
    const declarator = soleConst(fn, node.name);
    return Boolean(declarator && declarator.init && safe(declarator.init));
  }
  return false;
}

function isStringLike(node) {
  if (n.StringLiteral.check(node) || n.TemplateLiteral.check(node)) return true;
  return n.BinaryExpression.check(node) && node.operator === '+' && (isStringLike(node.left) || isStringLike(node.right));
}

// api.user.setAppMetadata(key, value) for kind 'app_metadata', setUserMetadata for the other.
function metadataCall(kind, key, value) {
  const method = kind === 'app_metadata' ? 'setAppMetadata' : 'setUserMetadata';
  return b.expressionStatement(b.callExpression(
    b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier('user')), b.identifier(method)),
    [b.stringLiteral(key), value]));
}

// One set call per key of `object` (an object literal) for metadata `kind`, or null when a key
// is computed or a value is not safe.
function metadataCalls(kind, object, fn) {
  const calls = [];
  for (const prop of object.properties) {
    const key = propertyName(prop);
    if (key === null || !isSafeValue(prop.value, fn)) return null;
    calls.push(metadataCall(kind, key, prop.value));
  }
  return calls;
}

function propertyName(prop) {
  if (!n.ObjectProperty.check(prop) || prop.computed) return null;
  if (n.Identifier.check(prop.key)) return prop.key.name;
  if (n.StringLiteral.check(prop.key)) return prop.key.value;
  return null;
}

function memberPath(node) {
  const parts = [];
  while (n.MemberExpression.check(node)) {
    if (node.computed && !n.StringLiteral.check(node.property)) return null;
    if (!node.computed && !n.Identifier.check(node.property)) return null;
    parts.unshift(node.computed ? node.property.value : node.property.name);
    node = node.object;
  }
  return n.Identifier.check(node) ? [node.name, ...parts] : null;
}

// The dashboard's starter, and responses assembled the same way, as direct calls:
//   var response = {};                          (removed)
//   response.user = user;  or  = {};            (removed)
//   response.user = {app_metadata: {k: v}};     one set call per key
//   response.user.app_metadata = {k: v, ...};   one set call per key
//   response.user.app_metadata.k = v;           one set call (after such an object)
//   cb(null, response);                         cb() — nothing left to apply
// Only when every statement is at the handler's top level, every value is safe, and nothing
// else touches `response` or the user's own metadata (returned with `response.user = user`, it
// is set again unchanged: nothing new). Returns true when the body was rewritten.
function rewriteStarter(fn, names, report) {
  const body = fn.body.body;
  const isCb = (expr) => expr && n.CallExpression.check(expr) && n.Identifier.check(expr.callee) &&
    expr.callee.name === names.cb;
  const cbIndex = body.findIndex((s) => {
    const expr = n.ExpressionStatement.check(s) ? s.expression : (n.ReturnStatement.check(s) ? s.argument : null);
    return isCb(expr) && expr.arguments.length === 2 && n.NullLiteral.check(expr.arguments[0]) &&
      n.Identifier.check(expr.arguments[1]);
  });
  if (!names.cb || !names.user || cbIndex < 0) return false;
  const cbStatement = body[cbIndex];
  const cbCall = n.ReturnStatement.check(cbStatement) ? cbStatement.argument : cbStatement.expression;
  const response = cbCall.arguments[1].name;
  // Every use of `response` and every use of the user's metadata, by the node that holds it.
  const uses = new Set();
  let touchesUserMetadata = false;
  let userAssigned = 0;
  recast.visit(fn.body, {
    visitIdentifier(path) {
      const parent = path.parent.node;
      const isProperty = n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed;
      if (path.node.name === response && !isProperty && !(n.ObjectProperty.check(parent) && parent.key === path.node)) {
        uses.add(path.node);
      }
      if (path.node.name === names.user && n.MemberExpression.check(parent) && parent.object === path.node) {
        const field = memberPath(parent);
        if (!field || field[1] === 'app_metadata' || field[1] === 'user_metadata') touchesUserMetadata = true;
      }
      return false;
    },
  });
  let declared = false;
  let userSet = false;
  const replaced = new Map();  // statement -> what replaces it
  const objects = new Set();   // metadata kinds given an object literal
  let seen = 1;                // uses accounted for: the one in cb
  for (let i = 0; i < cbIndex; ++i) {
    const s = body[i];
    if (n.VariableDeclaration.check(s) && s.declarations.length === 1 &&
        n.Identifier.check(s.declarations[0].id) && s.declarations[0].id.name === response) {
      const init = s.declarations[0].init;
      if (declared || !init || !n.ObjectExpression.check(init) || init.properties.length) return false;
      declared = true;
      replaced.set(s, []);
      ++seen;
      continue;
    }
    if (!n.ExpressionStatement.check(s) || !n.AssignmentExpression.check(s.expression) ||
        s.expression.operator !== '=') continue;
    const target = memberPath(s.expression.left);
    if (!target || target[0] !== response) continue;
    const value = s.expression.right;
    if (!declared) return false;
    ++seen;
    if (target.length === 2 && target[1] === 'user') {
      if (userSet) return false;  // a second response.user replaces the first: not a merge
      userSet = true;
      const calls = [];
      if (n.Identifier.check(value) && value.name === names.user) {
        ++userAssigned;
      } else if (!n.ObjectExpression.check(value)) {
        return false;
      } else {
        for (const prop of value.properties) {  // {app_metadata: {...}, user_metadata: {...}}
          const kind = propertyName(prop);
          if ((kind !== 'app_metadata' && kind !== 'user_metadata') || !n.ObjectExpression.check(prop.value)) return false;
          const more = metadataCalls(kind, prop.value, fn);
          if (!more || objects.has(kind)) return false;
          calls.push(...more);
          objects.add(kind);
        }
      }
      replaced.set(s, calls);
    } else if (target.length === 3 && target[1] === 'user' &&
               (target[2] === 'app_metadata' || target[2] === 'user_metadata')) {
      const calls = n.ObjectExpression.check(value) ? metadataCalls(target[2], value, fn) : null;
      if (!calls || objects.has(target[2])) return false;  // a second object replaces the first
      objects.add(target[2]);
      replaced.set(s, calls);
    } else if (target.length === 4 && target[1] === 'user' && objects.has(target[2])) {
      if (!isSafeValue(value, fn)) return false;
      replaced.set(s, [metadataCall(target[2], target[3], value)]);
    } else {
      return false;
    }
  }
  if (!declared || seen !== uses.size || (userAssigned && touchesUserMetadata)) return false;
  for (const [old, statements] of replaced) {
    const at = body.indexOf(old);
    if (statements.length && old.comments) statements[0].comments = old.comments;
    else if (old.comments && body[at + 1]) body[at + 1].comments = old.comments.concat(body[at + 1].comments || []);
    body.splice(at, 1, ...statements);
  }
  cbCall.arguments = [];
  report.add('starter-response', 'info', cbCall,
    'the response is assembled before cb (the dashboard\'s starter pattern): each metadata key becomes one direct set call' +
    (userAssigned ? '; response.user = user returned the user\'s own metadata unchanged, which sets nothing new' : ''),
    'no change needed');
  return true;
}

module.exports = {metadataCalls, propertyName, rewriteStarter};
