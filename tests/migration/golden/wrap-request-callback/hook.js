const request = require('request@2.88.0');

module.exports = function (user, context, cb) {
  request.post({
    url: 'https://risk.example.com/score',
    json: { email: user.email, ip: context.request.ip },
  }, function (err, response, body) {
    if (err) return cb(err);
    if (body.risky) {
      return cb(new PreUserRegistrationError('risky sign-up', 'We could not verify your sign-up.'));
    }
    cb(null, { user: { app_metadata: { risk_score: body.score } } });
  });
};
