module.exports = function (user, context, cb) {
  if (context.connection.name === 'partners') {
    return cb(new PreUserRegistrationError('partner sign-up', `Partners are invited:
  ask your account manager
    for an invitation.`));
  }
  cb();
};
