'use strict';
// Finding the Hook: `module.exports = function (user, context, cb) {...}` and its parameters.

const recast = require('recast');

const n = recast.types.namedTypes;

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

module.exports = {findHook, paramName};
