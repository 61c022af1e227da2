const crypto = require('crypto');

module.exports = function (user, context, cb) {
  crypto.randomBytes(16, (err, buffer) => {
    if (err) return cb(err);
    cb(null, { user: { app_metadata: { invite_code_length: buffer.toString('hex').length } } });
  });
};
