module.exports = function (user, context, cb) {
  if ((user.email || '').endsWith('@mailinator.com')) {
    cb(new PreUserRegistrationError('disposable', 'Please use a permanent address.'));
  }
  console.log('checked', user.email);
  cb(null, {user: {app_metadata: {checked: true}}});
};
