const { promisify } = require('util');
const sleep = promisify(setTimeout);

exports.onExecutePreUserRegistration = async (event, api) => {
  await sleep(5);
  const score = (event.user.email || '').length % 7;
  if (score === 3) {
    api.access.deny('score ' + score, 'Please try again later');
    return;
  }
  api.user.setAppMetadata('score_checked', true);
};
