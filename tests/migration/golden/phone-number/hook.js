module.exports = function (user, context, cb) {
  if (user.phoneNumber && user.phoneNumber.startsWith('+850')) {
    return cb(new Error('phone prefix not served'));
  }
  cb(null, { user: { app_metadata: { tenant_at_signup: user.tenant, has_phone: !!user.phoneNumber } } });
};
