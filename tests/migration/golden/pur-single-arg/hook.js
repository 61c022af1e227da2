module.exports = function (user, context, cb) {
  if (!user.email || !user.email.includes('@')) {
    return cb(new PreUserRegistrationError('A valid e-mail address is required'));
  }
  return cb(null, { user: { app_metadata: { checked: true } } });
};
