module.exports = function (user, context, cb) {
  // Reject short passwords that the connection policy lets through.
  if (user.password && user.password.length < 12) {
    return cb(new PreUserRegistrationError('password too short', 'Use at least 12 characters.'));
  }
  cb();
};
