'use strict';
// Code emitted into the Action when a translation needs the Hook adapter's exact semantics: the
// cb(error, response) helper, PreUserRegistrationError, and the promise bridge for cb called
// inside a callback.

const recast = require('recast');

const babel = require('recast/parsers/babel');

const HELPER_NAME = 'preregApplyHookCallback';

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

// `node` and everything below it without source positions, so that recast prints them as new
// code instead of trying to reuse text from the source they were parsed from.
function withoutPositions(node) {
  recast.visit(node, {
    visitNode(path) {
      delete path.node.loc;
      this.traverse(path);
    },
  });
  return node;
}

// Statements parsed from `source`, to be printed as new code among the Hook's lines.
function parseStatements(source) {
  return withoutPositions(recast.parse(source, {parser: babel}).program.body);
}

// A statement parsed without recast, so that recast prints it as new code in the Hook's own
// indentation (an object literal one property per line) instead of reusing its source text.
function freshStatement(source) {
  return withoutPositions(babel.parse(source).program.body[0]);
}

module.exports = {HELPER_NAME, helperSource, purSource, cbBridgeSource, parseStatements, freshStatement};
