let signups = 0;

module.exports = function (user, context, cb) {
  signups++;
  if (signups > 1000) {
    return cb(new Error('too many sign-ups on this instance'));
  }
  cb(null, { user: { app_metadata: { wave: 'early' } } });
};
