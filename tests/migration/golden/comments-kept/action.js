exports.onExecutePreUserRegistration = async (event, api) => {
  // Throwaway addresses never become accounts.
  if (/@mailinator\.com$/.test(event.user.email || '')) {
    // The friendly message spans two lines on the sign-up page.
    api.access.deny('disposable address', `Please sign up
with a permanent address.`);

    return;
  }

  /* Everyone else is tagged with where they came from. */
  api.user.setAppMetadata('source', 'signup'); // and allowed
};
