module.exports = function (user, context, cb) {
  const { ALLOWED_DOMAIN, REGION } = context.webtask.secrets;
  if (!ALLOWED_DOMAIN) {
    return cb(new Error('ALLOWED_DOMAIN secret is not configured'));
  }
  if (!(user.email || '').endsWith('@' + ALLOWED_DOMAIN)) {
    return cb(new PreUserRegistrationError('domain not allowed', 'Use your work e-mail address.'));
  }
  cb(null, { user: { app_metadata: { region: REGION || 'eu' } } });
};
