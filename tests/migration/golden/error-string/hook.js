module.exports = function (user, context, cb) {
  if (context.connection.name !== 'Username-Password-Authentication') {
    return cb('Sign-ups are closed on this connection');
  }
  cb(null);
};
