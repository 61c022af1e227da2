// Written as Terraform's auth0_hook resource (and the Management API) took a Hook: the script is
// the function itself, with no module.exports.
function (user, context, callback) {
  const domain = (user.email || '').split('@')[1] || '';
  if (domain === 'blocked.example') {
    return callback(new PreUserRegistrationError('blocked domain', 'Please use another address'));
  }
  callback(null, { user: { app_metadata: { signup_domain: domain } } });
}
