const { promisify } = require('util');
const sleep = promisify(setTimeout);

module.exports = async function (user, context, cb) {
  await sleep(5);
  const score = (user.email || '').length % 7;
  if (score === 3) {
    return cb(new PreUserRegistrationError('score ' + score, 'Please try again later'));
  }
  cb(null, { user: { app_metadata: { score_checked: true } } });
};
