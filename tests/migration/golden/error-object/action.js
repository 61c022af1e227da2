exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.username && event.user.username.toLowerCase().includes('admin')) {
    api.access.deny('Failure message');
    return;
  }
  api.user.setUserMetadata('favorite_color', 'purple');
};
