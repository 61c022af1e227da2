// Tidy the profile before the account is made (it never was: only metadata reaches the user).
module.exports = function (user, context, cb) {
  user.name = (user.email || '').split('@')[0];
  user.given_name = 'New';
  user.user_metadata = user.user_metadata || {};
  cb(null, {user: {user_metadata: {display: 'New'}}});
};
