module.exports = function (user, context, cb) {
  if (user.emailVerified) {
    return cb(null, { user: { app_metadata: { trusted: true } } });
  }
  cb(null, { user: { app_metadata: { trusted: false } } });
};
