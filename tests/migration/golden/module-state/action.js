let signups = 0;

exports.onExecutePreUserRegistration = async (event, api) => {
  signups++;
  if (signups > 1000) {
    api.access.deny('too many sign-ups on this instance');
    return;
  }
  api.user.setAppMetadata('wave', 'early');
};
