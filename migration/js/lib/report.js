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

const VERSIONED = /^((?:@[^/@]+\/)?[^/@]+)@([^/]+)(\/.*)?$/;  // x@1.2.3, @s/x@1.2.3, x@1.2.3/sub

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
          node.arguments[0] = b.stringLiteral(m[1] + (m[3] || ''));
        }
      }
      this.traverse(path);
    },
  });
}

const BUILTINS = new Set(require('module').builtinModules);

// The npm package a require names: 'x' of 'x/sub', '@scope/x' of '@scope/x/sub'; null for Node's
// own modules and for files ('./x', '/x').
function packageOf(name) {
  if (!name || name.startsWith('.') || name.startsWith('/') || name.startsWith('node:')) return null;
  const parts = name.split('/');
  const pkg = name.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(pkg) || BUILTINS.has(name) ? null : pkg;
}

// Every package the file requires, anywhere in it (inside the Hook, in callbacks, at the top),
// added to `dependencies` once each, with the version when a require pins one. A require whose
// name is computed cannot be listed: a warning says so.
function listRequires(ast, report, dependencies) {
  const listed = new Set(dependencies.map((d) => d.name));
  recast.visit(ast, {
    visitCallExpression(path) {
      const node = path.node;
      if (n.Identifier.check(node.callee) && node.callee.name === 'require' && !path.scope.lookup('require') &&
          node.arguments.length >= 1) {
        const arg = node.arguments[0];
        if (n.StringLiteral.check(arg)) {
          const pkg = packageOf(arg.value);
          if (pkg && !listed.has(pkg)) {
            listed.add(pkg);
            dependencies.push({name: pkg, version: '', line: node.loc ? node.loc.start.line : 0});
          }
        } else {
          report.add('dynamic-require', 'warning', node,
            'require with a computed name: the package cannot be listed as a dependency, and the Action\'s dependencies must name it',
            'require each package by its name, or list what this can load in the Action\'s dependencies');
        }
      }
      this.traverse(path);
    },
  });
  dependencies.sort((x, y) => x.line - y.line);
}

module.exports = {makeCollector, stripVersionedRequires, listRequires};
