const _ = require('lodash');

exports.onExecutePreUserRegistration = async (event, api) => {
  const user = {
    tenant: event.tenant.id,
    username: event.user.username,
    email: event.user.email,
    emailVerified: false,
    phoneNumber: event.user.phone_number,
    phoneNumberVerified: false,
    user_metadata: event.user.user_metadata,
    app_metadata: event.user.app_metadata
  };

  const country = _.get(user, 'user_metadata.country', 'unknown');
  preregApplyHookCallback(api, null, { user: { app_metadata: { country_from_form: country } } });
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
