module.exports = function (user, context, cb) {
  if ((user.email || '').endsWith('@mailinator.com')) {
    cb(new Error('disposable address'));
  }
  // Forgot cb() for everyone else: the Hook times out for them.
};
