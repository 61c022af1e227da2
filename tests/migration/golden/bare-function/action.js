// Written as Terraform's auth0_hook resource (and the Management API) took a Hook: the script is
// the function itself, with no module.exports.
exports.onExecutePreUserRegistration = async (event, api) => {
  const domain = (event.user.email || '').split('@')[1] || '';
  if (domain === 'blocked.example') {
    api.access.deny('blocked domain', 'Please use another address');
    return;
  }
  api.user.setAppMetadata('signup_domain', domain);
}
