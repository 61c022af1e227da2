// Ends its step at once but leaves an interval running that logs: it would write into other
// sign-ups' logs for as long as the worker lives.
exports.onExecutePreUserRegistration = async (event, api) => {
  const who = event.user.email;
  setInterval(() => console.log(`late log from the sign-up of ${who}`), 20);
  api.user.setAppMetadata('done', true);
};
