#!/usr/bin/env node
// Signs a Supabase before-user-created request as Supabase does, with the Standard Webhooks
// reference library (npm standardwebhooks): each secret "v1,whsec_..." loses its "v1," and signs
// "<id>.<timestamp>.<body>"; several signatures are joined with ", " as Supabase joins them.
//
//   node sign-supabase.js --secret 'v1,whsec_...' [--secret ...] --id ID --timestamp SECONDS < BODY
// Prints the three headers as JSON: {"webhook-id", "webhook-timestamp", "webhook-signature"}, or
// with --headers as "Name: value" lines (for curl -H @FILE).
'use strict';

const fs = require('fs');
const {Webhook} = require('standardwebhooks');

const args = process.argv.slice(2);
const secrets = [];
let id = null;
let timestamp = null;
let lines = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--secret') secrets.push(args[++i]);
  else if (args[i] === '--id') id = args[++i];
  else if (args[i] === '--timestamp') timestamp = Number(args[++i]);
  else if (args[i] === '--headers') lines = true;
}
if (!secrets.length || !id || !Number.isInteger(timestamp)) {
  console.error('usage: node sign-supabase.js --secret S [--secret S] --id ID --timestamp SECONDS < BODY');
  process.exit(2);
}
const body = fs.readFileSync(0, 'utf8');
const when = new Date(timestamp * 1000);
const signatures = secrets.map((s) => new Webhook(s.replace(/^v1,/, '')).sign(id, when, body));
const headers = {
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signatures.join(', '),
};
process.stdout.write(lines
  ? Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join('')
  : JSON.stringify(headers) + '\n');
