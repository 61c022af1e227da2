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

// Where `source` starts with a bare function — `function (user, context, cb) {...}` as the whole
// script, as Terraform's auth0_hook and the Management API took Hooks — after leading blanks and
// comments; -1 when it does not. (adapters/node/runner.js runs such scripts the same way.)
function bareFunctionAt(source) {
  const m = /^(?:\s+|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.exec(source);
  const at = m ? m[0].length : 0;
  return /^(?:async\s+)?function\b/.test(source.slice(at, at + 32)) ? at : -1;
}

// `source` with `module.exports = ` before its bare function, on the same line and column.
function exportBareFunction(source, at) {
  return `${source.slice(0, at)}module.exports = ${source.slice(at)}`;
}

function paramName(fn, i) {
  const p = fn.params[i];
  return p && n.Identifier.check(p) ? p.name : null;
}

module.exports = {findHook, paramName, bareFunctionAt, exportBareFunction};
