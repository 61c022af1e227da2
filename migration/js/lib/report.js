'use strict';
// Findings (one per rule and line) and the dependencies a Hook pins in require('x@1.2.3').

const recast = require('recast');

const b = recast.types.builders;
const n = recast.types.namedTypes;

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

module.exports = {makeCollector, stripVersionedRequires};
