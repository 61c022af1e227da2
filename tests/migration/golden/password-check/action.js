exports.onExecutePreUserRegistration = async (event, api) => {
  // Reject short passwords that the connection policy lets through.
  if (event.user.password && event.user.password.length < 12) {
    api.access.deny('password too short', 'Use at least 12 characters.');
    return;
  }
};
