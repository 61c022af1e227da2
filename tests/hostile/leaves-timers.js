// Ends its step at once, but leaves an interval that logs and a timer that throws: both fire
// while other sign-ups are running on this worker.
exports.onExecutePreUserRegistration = async (event, api) => {
  const who = event.user.email;
  setInterval(() => console.log(`late log from the sign-up of ${who}`), 20);
  setTimeout(() => { throw new Error(`late throw from the sign-up of ${who}`); }, 30);
  setTimeout(() => Promise.reject(new Error(`late rejection from the sign-up of ${who}`)), 40);
  api.user.setAppMetadata('done', true);
};
