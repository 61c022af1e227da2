// A sign-up without app_metadata.wait_ms leaves timers that do not keep the worker busy (unref'd)
// but fire 50 ms later: a log line, a throw and a rejection. One with wait_ms waits that long
// before it returns, so that it is running on the same worker when the first one's timers fire.
exports.onExecutePreUserRegistration = async (event, api) => {
  const who = event.user.email;
  const wait = (event.user.app_metadata || {}).wait_ms;
  if (wait) {
    await new Promise((resolve) => setTimeout(resolve, wait));
  } else {
    const later = (fn) => setTimeout(fn, 50).unref();
    later(() => console.log(`late log from the sign-up of ${who}`));
    later(() => { throw new Error(`late throw from the sign-up of ${who}`); });
    later(() => Promise.reject(new Error(`late rejection from the sign-up of ${who} ${event.secrets.KEY}`)));
  }
  console.log(`in-step log of ${who}`);
  api.user.setAppMetadata('done', who);
};
