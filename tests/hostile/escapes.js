// Tries to leave the sandbox through the file system, processes, threads, native code and Node's
// internal bindings. Each
// attempt reports "done" or why it was refused.
const fs = require('fs');

function attempt(what) {
  try {
    what();
    return 'done';
  } catch (e) {
    return `refused: ${e.code || e.message}`;
  }
}

exports.onExecutePreUserRegistration = async (event, api) => {
  const out = event.secrets.WRITE_TO;
  api.user.setAppMetadata('write', attempt(() => fs.writeFileSync(out, 'pwned')));
  api.user.setAppMetadata('read_outside', attempt(() => fs.readFileSync(event.secrets.READ_FROM)));
  api.user.setAppMetadata('spawn', attempt(() => {
    require('child_process').execFileSync('/bin/sh', ['-c', `echo pwned > '${out}.sh'`]);
  }));
  api.user.setAppMetadata('worker', attempt(() => {
    const {Worker} = require('worker_threads');
    new Worker('1', {eval: true});
  }));
  // Without the sandbox this fails only because the file does not exist (ERR_DLOPEN_FAILED).
  api.user.setAppMetadata('addon', attempt(() => process.dlopen({exports: {}}, '/nonexistent.node')));
  // Node's internal bindings: raw sockets and files, around everything else.
  api.user.setAppMetadata('binding', attempt(() => process.binding('tcp_wrap')));
  // The service runs as the same user: signal it (0 only checks, as SIGKILL would) or starve it.
  api.user.setAppMetadata('signal', attempt(() => process.kill(process.ppid, 0)));
  api.user.setAppMetadata('raw_signal', attempt(() => process._kill(process.ppid, 0)));
  const os = require('os');
  api.user.setAppMetadata('priority', attempt(() => os.setPriority(process.ppid, os.getPriority(process.ppid))));
};
