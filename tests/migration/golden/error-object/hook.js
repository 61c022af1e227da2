module.exports = function (user, context, callback) {
  if (user.username && user.username.toLowerCase().includes('admin')) {
    return callback(new Error('Failure message'));
  }
  callback(null, { user: { user_metadata: { favorite_color: 'purple' } } });
};
