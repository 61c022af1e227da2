// Copied from an old blog post: the class the post needed outside Auth0, pasted into the Hook.
class PreUserRegistrationError {
  constructor(message, friendlyMessage) {
    this.message = message;
    this.friendlyMessage = friendlyMessage;
  }
}

module.exports = function (user, context, cb) {
  if (!user.email || user.email.length > 60) {
    return cb(new PreUserRegistrationError('e-mail address too long', 'Please use a shorter e-mail address.'));
  }
  cb();
};
