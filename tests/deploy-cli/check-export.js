#!/usr/bin/env node
// Loads a tenant export with auth0-deploy-cli's own context classes, as `a0deploy import` does
// before it talks to Auth0: keyword replacement, js-yaml or the directory loaders, the schema
// validation (ajv) and each handler's own checks. Offline: the management client is a stub that
// fails any call, so nothing here can reach a tenant.
//
//   node check-export.js EXPORT [--mappings JSON]
// EXPORT is a tenant.yaml, a folder holding one, or a directory export. Prints what deploy-cli
// loaded as JSON (actions, hooks, triggers) and exits 0, or prints deploy-cli's error and exits 1.
'use strict';

const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
let target = null;
let mappings = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--mappings') mappings = JSON.parse(args[++i]);
  else target = args[i];
}
if (!target) {
  console.error('usage: node check-export.js EXPORT [--mappings JSON]');
  process.exit(2);
}

// Any call deploy-cli makes to Auth0 fails loudly: loading and validating must not need one.
const offline = new Proxy({}, {
  get(_, name) {
    if (name === 'then') return undefined;
    return new Proxy(() => {}, {
      get(__, inner) {
        if (inner === 'then') return undefined;
        return () => { throw new Error(`deploy-cli tried to call Auth0 (${String(name)}.${String(inner)})`); };
      },
      apply() { throw new Error(`deploy-cli tried to call Auth0 (${String(name)})`); },
    });
  },
});

// deploy-cli logs through winston to stdout; its lines go to stderr here, stdout is the result.
function logsToStderr() {
  const logger = require('auth0-deploy-cli/lib/logger').default;
  const winston = require(require.resolve('winston', {paths: [require.resolve('auth0-deploy-cli')]}));
  logger.clear();
  logger.add(new winston.transports.Console({
    stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
  }));
}

async function main() {
  logsToStderr();
  let file = path.resolve(target);
  let yaml = /\.ya?ml$/.test(file);
  if (!yaml && fs.existsSync(path.join(file, 'tenant.yaml')) && !fs.existsSync(path.join(file, 'tenant.json'))) {
    file = path.join(file, 'tenant.yaml');
    yaml = true;
  }
  const Context = yaml
    ? require('auth0-deploy-cli/lib/context/yaml').default
    : require('auth0-deploy-cli/lib/context/directory').default;
  const config = {AUTH0_INPUT_FILE: file, AUTH0_KEYWORD_REPLACE_MAPPINGS: mappings};
  const context = new Context(config, offline);
  await context.loadAssetsFromLocal();
  const {Auth0} = require('auth0-deploy-cli/lib/tools');
  const {toConfigFn} = require('auth0-deploy-cli/lib/utils');
  await new Auth0(offline, context.assets, toConfigFn(config)).validate();
  const a = context.assets;
  const out = {
    format: yaml ? 'yaml' : 'directory',
    actions: (a.actions || []).map((x) => ({
      name: x.name, runtime: x.runtime, deployed: x.deployed, dependencies: x.dependencies,
      secrets: x.secrets, supported_triggers: x.supported_triggers, code_bytes: (x.code || '').length,
    })),
    hooks: (a.hooks || []).map((h) => ({name: h.name, enabled: h.enabled, triggerId: h.triggerId,
      secrets: h.secrets, dependencies: h.dependencies, script_bytes: (h.script || '').length})),
    triggers: a.triggers || {},
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
  console.error(`deploy-cli refused the export: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
