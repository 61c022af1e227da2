// The dashboard's starter, filled in the way most teams did: the user goes back with two
// metadata objects of its own.
module.exports = function (user, context, cb) {
  var response = {};
  response.user = user;
  // Where the account came from, for support.
  response.user.app_metadata = { source: 'hooks', plan: context.connection.name === 'partners' ? 'partner' : 'free' };
  response.user.user_metadata = { newsletter: false };
  cb(null, response);
};
