'use strict';
// Shared analysis: constructs that no rewrite can carry over (the password, module state, the
// global auth0 object, webtask storage...), reported as findings by both modes.

const recast = require('recast');

const n = recast.types.namedTypes;

// Profile fields a Hook may write on its user object to no effect: neither Hooks nor Actions
// create the user from them (only the response's metadata counts).
const PROFILE_FIELDS = new Set(['name', 'given_name', 'family_name', 'nickname', 'picture', 'username',
  'email', 'phoneNumber', 'phone_number', 'user_id', 'blocked', 'emailVerified', 'email_verified']);

function analyse(ast, fnPath, names, report) {
  localErrorClass(ast, report);
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
      const left = path.node.left;
      if (names.user && n.MemberExpression.check(left) && n.Identifier.check(left.object) &&
          left.object.name === names.user && bound(path, names.user)) {
        const field = !left.computed && n.Identifier.check(left.property) ? left.property.name :
          (n.StringLiteral.check(left.property) ? left.property.value : null);
        if (PROFILE_FIELDS.has(field)) {
          report.add('user-field-write', 'warning', left,
            `writing user.${field} has no effect: Hooks and Actions create the user from the sign-up, and only the response's metadata (api.user.set*Metadata in Actions) changes it`,
            `remove the write, or keep the value in metadata (for example user_metadata.${field})`);
        }
      }
      this.traverse(path);
    },
    visitUpdateExpression(path) {
      flagModuleState(path, path.node.argument, report, fnScope);
      this.traverse(path);
    },
  });
}

// A PreUserRegistrationError declared in the file hides the global one. Unless it extends Error
// and names itself 'PreUserRegistrationError', Auth0 took it for a plain error: the sign-up was
// denied, but its friendly message never reached the user.
function localErrorClass(ast, report) {
  recast.visit(ast, {
    visitClassDeclaration(path) {
      const node = path.node;
      if (node.id && node.id.name === 'PreUserRegistrationError') {
        const extendsError = n.Identifier.check(node.superClass) && node.superClass.name === 'Error';
        let named = false;
        recast.visit(node.body, {
          visitAssignmentExpression(p) {
            const l = p.node.left;
            if (n.MemberExpression.check(l) && n.ThisExpression.check(l.object) && !l.computed &&
                n.Identifier.check(l.property) && l.property.name === 'name' &&
                n.StringLiteral.check(p.node.right) && p.node.right.value === 'PreUserRegistrationError') named = true;
            this.traverse(p);
          },
        });
        flagLocalClass(node, extendsError && named, report);
      }
      return false;
    },
    visitFunctionDeclaration(path) {
      if (path.node.id && path.node.id.name === 'PreUserRegistrationError') flagLocalClass(path.node, false, report);
      return false;
    },
  });
}

function flagLocalClass(node, likeGlobal, report) {
  if (likeGlobal) {
    report.add('local-error-class', 'info', node,
      'the file declares its own PreUserRegistrationError, which extends Error and names itself as the global one does: it is kept',
      'nothing to change');
    return;
  }
  report.add('local-error-class', 'warning', node,
    'the file declares its own PreUserRegistrationError, hiding the global one; it does not extend Error and set name = \'PreUserRegistrationError\', so Auth0 took it for a plain error: the sign-up was denied but its friendly message never reached the user (the Action keeps that)',
    'delete the declaration to use the global class (Hooks) or api.access.deny(reason, userMessage) (Actions), if the user should see the message');
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

module.exports = {analyse};
