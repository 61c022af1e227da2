#!/usr/bin/env node
// WorkOS' own SDK (npm @workos-inc/node) on both sides of prereg's WorkOS front door:
//
//   node workos.js sign --secret S --timestamp MS < PAYLOAD.json
//     prints {"body": <the payload as WorkOS sends it>, "header": "t=<ms>, v1=<hex>"}: the
//     WorkOS-Signature the SDK's verifier accepts for that body.
//   node workos.js check-response --secret S < RESPONSE.json
//     verifies a user_registration_action_response with the SDK's verifyHeader (the signature
//     over JSON.stringify(payload), as WorkOS checks it); prints the payload, exits 1 if refused.
'use strict';

const fs = require('fs');
const {WorkOS} = require('@workos-inc/node');

const args = process.argv.slice(2);
const mode = args[0];
let secret = null;
let timestamp = null;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--secret') secret = args[++i];
  else if (args[i] === '--timestamp') timestamp = Number(args[++i]);
}
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const actions = new WorkOS('sk_test_prereg_offline').actions;

async function main() {
  if (mode === 'sign') {
    const v1 = await actions.computeSignature(timestamp, input, secret);
    process.stdout.write(JSON.stringify({body: JSON.stringify(input), header: `t=${timestamp}, v1=${v1}`}) + '\n');
    return;
  }
  if (mode === 'check-response') {
    if (input.object !== 'user_registration_action_response') throw new Error(`object is ${input.object}`);
    await actions.verifyHeader({
      payload: input.payload,
      sigHeader: `t=${input.payload.timestamp}, v1=${input.signature}`,
      secret,
      tolerance: 60000,
    });
    process.stdout.write(JSON.stringify(input.payload) + '\n');
    return;
  }
  throw new Error('usage: node workos.js sign|check-response --secret S [--timestamp MS]');
}

main().catch((e) => {
  console.error(`workos: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
