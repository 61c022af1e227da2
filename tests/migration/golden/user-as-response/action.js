// Fire-and-forget notification, then the user handed back as if it were the response.
exports.onExecutePreUserRegistration = async (event, api) => {
  const message = 'New sign-up: ' + (event.user.username || event.user.email) + ' on ' + event.connection.name;
  console.log(message);
};
