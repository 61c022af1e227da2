// Tidy the profile before the account is made (it never was: only metadata reaches the user).
exports.onExecutePreUserRegistration = async (event, api) => {
  event.user.name = (event.user.email || '').split('@')[0];
  event.user.given_name = 'New';
  event.user.user_metadata = event.user.user_metadata || {};
  api.user.setUserMetadata('display', 'New');
};
