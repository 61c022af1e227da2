// Replaced by deny-disposable and disabled: it must never run.
module.exports = function (user, context, cb) {
  cb(new PreUserRegistrationError('legacy gate', 'Sign-ups are closed.'));
};
