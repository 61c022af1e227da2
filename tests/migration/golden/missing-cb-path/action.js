exports.onExecutePreUserRegistration = async (event, api) => {
  if ((event.user.email || '').endsWith('@mailinator.com')) {
    api.access.deny('disposable address');
    return;
  }
  // Forgot cb() for everyone else: the Hook times out for them.
};
