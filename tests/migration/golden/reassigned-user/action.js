// The profile service answers with the user it knows; the Hook carries on with that object.
exports.onExecutePreUserRegistration = async (event, api) => {
  let user = {
    tenant: event.tenant.id,
    username: event.user.username,
    email: event.user.email,
    emailVerified: false,
    phoneNumber: event.user.phone_number,
    phoneNumberVerified: false,
    user_metadata: event.user.user_metadata,
    app_metadata: event.user.app_metadata
  };

  await new Promise((resolve, reject) => {
    let settled = false;
    const cb = (error, response) => {
      if (settled) return;
      settled = true;
      try { preregApplyHookCallback(api, error, response); } catch (e) { return reject(e); }
      resolve();
    };
    const fail = (e) => { if (!settled) { settled = true; reject(e); } };
    try {
      const request = require('request');
      request.post({url: 'https://profiles.example/check', json: {email: user.email}}, (err, res, body) => {
        if (err) return cb(err);
        user = Object.assign({}, user, {risky: body.risky});
        const message = `We could not create your account.
  Please write to support@example.com
    and quote "${user.email}".`;
        if (user.risky) return cb(new PreUserRegistrationError('risky sign-up', message));
        cb(null, {user: {app_metadata: {checked: true}}});
      });
    } catch (e) { fail(e); }
  });
};

// Added by prereg migrate: Hooks had this class as a global; Actions do not.
class PreUserRegistrationError extends Error {
  constructor(message, friendlyMessage) {
    super(message);
    this.name = 'PreUserRegistrationError';
    this.friendlyMessage = friendlyMessage || message;
  }
}

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
