exports.onExecutePreUserRegistration = async (event, api) => {
  const { ALLOWED_DOMAIN, REGION } = event.secrets;
  if (!ALLOWED_DOMAIN) {
    api.access.deny('ALLOWED_DOMAIN secret is not configured');
    return;
  }
  if (!(event.user.email || '').endsWith('@' + ALLOWED_DOMAIN)) {
    api.access.deny('domain not allowed', 'Use your work e-mail address.');
    return;
  }
  api.user.setAppMetadata('region', REGION || 'eu');
};
