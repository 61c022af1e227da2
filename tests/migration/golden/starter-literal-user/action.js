exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata('theme', 'light');
  api.user.setAppMetadata('manager', false);
  api.user.setAppMetadata('department', 7);
};
