exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata('favorite_color', 'purple');
  api.user.setUserMetadata('newsletter', true);
  api.user.setAppMetadata('plan', 'free');
  api.user.setAppMetadata('roles', ['member']);
};
