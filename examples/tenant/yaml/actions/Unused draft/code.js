// Not bound to any trigger.
exports.onExecutePreUserRegistration = async (event, api) => {
  api.access.deny('draft', 'This draft must not run.');
};
