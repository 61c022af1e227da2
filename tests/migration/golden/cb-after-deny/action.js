exports.onExecutePreUserRegistration = async (event, api) => {
  if ((event.user.email || '').endsWith('@mailinator.com')) {
    api.access.deny('disposable', 'Please use a permanent address.');
    return;
  }
  console.log('checked', event.user.email);
  api.user.setAppMetadata('checked', true);
};
