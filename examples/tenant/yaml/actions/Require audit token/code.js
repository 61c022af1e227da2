// Refuses .invalid addresses; needs its AUDIT_TOKEN secret to be set.
exports.onExecutePreUserRegistration = async (event, api) => {
  if (!event.secrets.AUDIT_TOKEN) throw new Error('AUDIT_TOKEN is not set');
  if ((event.user.email || '').endsWith('.invalid')) {
    api.access.deny('invalid_tld', 'This address cannot receive mail.');
  }
};
