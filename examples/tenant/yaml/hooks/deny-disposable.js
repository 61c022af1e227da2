// A legacy pre-user-registration Hook, as the Auth0 Hook editor wrote them: refuse sign-ups
// from disposable e-mail domains, listed in a secret.
module.exports = function (user, context, cb) {
  const domains = (context.webtask.secrets.DISPOSABLE_DOMAINS || '').split(',');
  const domain = (user.email || '').split('@')[1] || '';
  if (domains.includes(domain.toLowerCase())) {
    return cb(new PreUserRegistrationError('disposable domain ' + domain,
      'Please sign up with a permanent e-mail address.'));
  }
  const response = {};
  response.user = user;
  response.user.app_metadata = {screened_by: 'deny-disposable'};
  cb(null, response);
};
