// The dashboard's starter, filled in the way most teams did: the user goes back with two
// metadata objects of its own.
exports.onExecutePreUserRegistration = async (event, api) => {
  // Where the account came from, for support.
  api.user.setAppMetadata('source', 'hooks');

  api.user.setAppMetadata('plan', event.connection.name === 'partners' ? 'partner' : 'free');
  api.user.setUserMetadata('newsletter', false);
};
