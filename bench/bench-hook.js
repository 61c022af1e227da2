// The Hook of the serve benchmark: a typical legacy check plus metadata.
module.exports = function (user, context, cb) {
  if ((user.email || '').endsWith('@mailinator.com')) {
    return cb(new PreUserRegistrationError('disposable e-mail', 'Use a permanent address'));
  }
  cb(null, {user: {app_metadata: {checked_by_hook: true}}});
};
