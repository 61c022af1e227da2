// The profile service answers with the user it knows; the Hook carries on with that object.
module.exports = function (user, context, cb) {
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
};
