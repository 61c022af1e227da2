exports.onExecutePreUserRegistration = async (event, api) => {
  if (!event.user.email || !event.user.email.includes('@')) {
    api.access.deny('A valid e-mail address is required', 'A valid e-mail address is required');
    return;
  }
  api.user.setAppMetadata('checked', true);
};
