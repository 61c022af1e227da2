// Copied from an old blog post: the class the post needed outside Auth0, pasted into the Hook.
class PreUserRegistrationError {
  constructor(message, friendlyMessage) {
    this.message = message;
    this.friendlyMessage = friendlyMessage;
  }
}

exports.onExecutePreUserRegistration = async (event, api) => {
  if (!event.user.email || event.user.email.length > 60) {
    preregApplyHookCallback(
      api,
      new PreUserRegistrationError('e-mail address too long', 'Please use a shorter e-mail address.'),
      undefined
    );

    return;
  }
};

// Added by prereg migrate: what Auth0 did with a Hook's cb(error, response), as Actions API
// calls (SPEC §4). Metadata keys are set one by one; values go through JSON, as the Hook's did.
function preregApplyHookCallback(api, error, response) {
  if (error) {
    if (error.name === 'PreUserRegistrationError') {
      const friendly = error.friendlyMessage;
      api.access.deny(String(error.message), friendly === undefined || friendly === null ? undefined : String(friendly));
    } else {
      api.access.deny(error instanceof Error ? String(error.message) : String(error.message || error));
    }
    return;
  }
  const user = response && response.user;
  if (!user || typeof user !== 'object') return;
  for (const kind of ['app_metadata', 'user_metadata']) {
    if (user[kind] === undefined) continue;
    const metadata = user[kind] === null ? null : JSON.parse(JSON.stringify(user[kind]));
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      // The engine reports this as an invalid API call, as it does for the Hook.
      api.user.setAppMetadata('response.user.' + kind, metadata);
      continue;
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (kind === 'app_metadata') api.user.setAppMetadata(key, value);
      else api.user.setUserMetadata(key, value);
    }
  }
}
