'use strict';
// The Node runner alone: what an execution of adapters/node/runner.js costs, driven straight over
// its pipes (no engine, no sandbox flags), against a baseline runner in the same run.
//
//   node bench/runner-bench.js [--baseline FILE] [--rounds 12] [--executions 30000] [--batch 16]
//                              [--step action|hook] [--callgrind]
//
// Each round starts a fresh worker per runner, loads the serve benchmark's Action (or, with
// --step hook, its Hook), and sends it that step's request as `prereg serve` writes it,
// `--batch` lines per write (as the engine batches under load), the next batch once the last
// one's replies are in. Runners alternate, round after round; the figures are medians over the
// rounds. Without --baseline the runner is measured alone. A baseline from another commit:
//   git show REV:adapters/node/runner.js > /tmp/runner-base.js
// (a runner reads nothing beside itself, so it runs from anywhere).
//
// What is measured:
// - by default, the worker's CPU (user + system, from /proc) between its load reply and its last
//   execution's reply, in µs per execution. On a shared VM single rounds move by ±10%.
// - with --callgrind, the instructions the worker runs per execution, counted by valgrind's
//   callgrind: a worker runs a tenth of --executions (default 22,000 here) and another all of
//   them, and the difference of their totals is divided by the difference of the counts, so
//   start-up and load cancel out. About 30 s per runner and round; repeats within 1%.

const {execFileSync, spawn} = require('child_process');
const fs = require('fs');
const path = require('path');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
const root = path.join(__dirname, '..');
const runners = [['runner', path.join(root, 'adapters/node/runner.js')]];
if (option('baseline')) runners.unshift(['baseline', path.resolve(option('baseline'))]);
const callgrind = process.argv.includes('--callgrind');
const rounds = Number(option('rounds', callgrind ? 1 : 12));
const executions = Number(option('executions', callgrind ? 22000 : 30000));
const batch = Number(option('batch', 16));
const step = option('step', 'action');
if (step !== 'action' && step !== 'hook') throw new Error(`--step ${step}: give action or hook`);
const script = path.join(__dirname, `bench-${step}.js`);
// The steps' requests as `prereg serve` writes them for the benchmark's sign-up.
const event = {
  connection: {id: 'con_1', name: 'db', strategy: 'auth0'},
  request: {body: {}, geoip: {countryCode: 'GB'}, ip: '203.0.113.7', language: 'en', method: 'POST'},
  secrets: {},
  tenant: {id: 'bench'},
  user: {app_metadata: {checked_by_hook: true}, email: 'ada@example.com', user_metadata: {},
         username: 'ada'},
};
const hookContext = {
  connection: {id: 'con_1', name: 'db', tenant: 'bench'}, renderLanguage: 'en',
  request: {ip: '203.0.113.7', language: 'en'}, requestLanguage: 'en', webtask: {secrets: {}},
};
const hookUser = {
  app_metadata: {}, email: 'ada@example.com', emailVerified: false, password: 'pw',
  phoneNumberVerified: false, tenant: 'bench', user_metadata: {}, username: 'ada',
};
const stepFields = step === 'action'
    ? `"event":${JSON.stringify(event)}`
    : `"context":${JSON.stringify(hookContext)},"user":${JSON.stringify(hookUser)}`;
// What the step records: the Action sets two metadata; the Hook calls cb once.
const expectedCalls = step === 'action' ? 2 : 1;

// Clock ticks per second, the unit of /proc/PID/stat's CPU times.
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}));
if (!(ticksPerSecond > 0)) throw new Error('getconf CLK_TCK did not print a number of ticks');

// The CPU a process has used, in µs.
function cpuMicros(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / ticksPerSecond;  // utime + stime
}

// Where callgrind writes its counts: one folder for the whole run, removed as the bench exits.
let dir = '';
let runs = 0;
function countsDir() {
  if (!dir) {
    dir = fs.mkdtempSync('/tmp/runner-bench-');
    process.on('exit', () => fs.rmSync(dir, {recursive: true, force: true}));
  }
  return dir;
}

// Runs `count` executions on a fresh worker of `runner`: resolves to the worker's CPU µs per
// execution or, with --callgrind, to the instructions the whole worker ran.
function measure(runner, count) {
  return new Promise((resolve, reject) => {
    const args = [runner, '--spin-us=0', '--heartbeat-ms=1000'];
    const counts = callgrind ? path.join(countsDir(), `${runs++}.out`) : '';
    const child = callgrind
        ? spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', '--quiet',
                             `--callgrind-out-file=${counts}`, process.execPath, ...args],
                {stdio: ['pipe', 'inherit', 'inherit', 'pipe', 'pipe']})
        : spawn(process.execPath, args, {stdio: ['pipe', 'inherit', 'inherit', 'pipe', 'pipe']});
    child.on('error', (e) => reject(new Error(`${runner}: ${e.message}`)));
    let pending = '';
    let sent = 0;
    let done = 0;
    let cpuAtStart = 0;
    const sendBatch = () => {
      let lines = '';
      for (let i = 0; i < batch && sent < count; i++) {
        sent++;
        lines += `{"id":${sent + 1},"gen":1,"kind":"${step}","script":${JSON.stringify(script)},` +
                 `"t":"exec",${stepFields}}\n`;
      }
      child.stdin.write(lines);
    };
    child.on('exit', (code) => {
      if (done < count) return reject(new Error(`${runner}: the worker exited (${code}) early`));
      if (!callgrind) return;
      // The worker ends at the end of its input; callgrind writes its totals as it exits.
      const total = fs.existsSync(counts) && /^summary: (\d+)$/m.exec(fs.readFileSync(counts, 'utf8'));
      if (!total) return reject(new Error(`${runner}: callgrind wrote no summary`));
      resolve(Number(total[1]));
    });
    child.stdio[3].on('data', (chunk) => {
      pending += chunk.toString();
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const msg = JSON.parse(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (msg.t === 'ready') {
          const source = fs.readFileSync(script, 'utf8');
          child.stdin.write(JSON.stringify({t: 'load', id: 1, script, gen: 1, source}) + '\n');
        } else if (msg.t === 'loaded') {
          if (msg.error) return reject(new Error(msg.error));
          if (!callgrind) cpuAtStart = cpuMicros(child.pid);
          sendBatch();
        } else if (msg.t === 'done') {
          if (msg.end.kind !== 'returned' || msg.calls.length !== expectedCalls) {
            return reject(new Error(`unexpected reply: ${JSON.stringify(msg)}`));
          }
          if (++done === count) {
            if (callgrind) return child.stdin.end();
            const perExecution = (cpuMicros(child.pid) - cpuAtStart) / count;
            child.kill();
            resolve(perExecution);
          } else if (done % batch === 0) {
            sendBatch();
          }
        }
      }
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// One round's figure for `runner`: CPU µs per execution, or instructions per execution.
async function figure(runner) {
  if (!callgrind) return measure(runner, executions);
  const few = Math.floor(executions / 10);
  const [small, large] = [await measure(runner, few), await measure(runner, executions)];
  return (large - small) / (executions - few);
}

(async () => {
  const unit = callgrind ? 'instructions' : 'µs CPU';
  const digits = callgrind ? 0 : 1;
  console.log(`node ${process.version}; the ${step}, ${executions} executions per round, ` +
              `${batch} per write, ${rounds} rounds${callgrind ? ', under callgrind' : ''}`);
  const results = new Map(runners.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    const line = [];
    for (const [name, file] of runners) {
      const value = await figure(file);
      results.get(name).push(value);
      line.push(`${name} ${value.toFixed(digits)}`);
    }
    console.log(`round ${round}: ${line.join(', ')} ${unit} per execution`);
  }
  for (const [name, file] of runners) {
    console.log(`${name} (${file}): median ${median(results.get(name)).toFixed(digits)} ${unit} ` +
                'per execution');
  }
  if (results.has('baseline')) {
    const ratios = results.get('runner').map((v, i) => v / results.get('baseline')[i]);
    console.log(`runner / baseline, median of the rounds' ratios: ${median(ratios).toFixed(3)}`);
  }
})().catch((e) => {
  console.error(`runner-bench: ${e.message}`);
  process.exit(1);
});
