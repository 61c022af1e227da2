// Fire-and-forget notification, then the user handed back as if it were the response.
module.exports = function (user, context, cb) {
  const message = 'New sign-up: ' + (user.username || user.email) + ' on ' + context.connection.name;
  console.log(message);
  cb(null, user, context);
};
