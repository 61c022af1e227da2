const request = require('request');

exports.onExecutePreUserRegistration = async (event, api) => {
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
      request.post({
        url: 'https://risk.example.com/score',
        json: { email: event.user.email, ip: event.request.ip },
      }, function (err, response, body) {
        if (err) return cb(err);
        if (body.risky) {
          return cb(new PreUserRegistrationError('risky sign-up', 'We could not verify your sign-up.'));
        }
        cb(null, { user: { app_metadata: { risk_score: body.score } } });
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
