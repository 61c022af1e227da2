exports.onExecutePreUserRegistration = async (event, api) => {
  if (false) {
    api.user.setAppMetadata('trusted', true);
    return;
  }
  api.user.setAppMetadata('trusted', false);
};
