exports.onExecutePreUserRegistration = async (event, api) => {
  // Everyone starts on the free plan.
  api.user.setUserMetadata('favorite_color', 'purple');

  api.user.setUserMetadata('newsletter', true);
  api.user.setAppMetadata('plan', 'free');
  api.user.setAppMetadata('roles', ['member']);
};
