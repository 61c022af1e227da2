exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.connection.name !== 'Username-Password-Authentication') {
    api.access.deny('Sign-ups are closed on this connection');
    return;
  }
};
