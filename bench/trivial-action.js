// The step the pool benchmark runs: one API call, nothing else.
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata('seen', true);
};
