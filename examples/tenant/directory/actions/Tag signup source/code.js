// Tags where the sign-up came from. The default plan is a deploy-cli keyword: a0deploy import
// (and prereg) replace the marker from AUTH0_KEYWORD_REPLACE_MAPPINGS.
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata('plan', '##DEFAULT_PLAN##');
  api.user.setUserMetadata('signup_source', event.client ? event.client.name : 'unknown');
};
