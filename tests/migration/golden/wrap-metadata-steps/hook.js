module.exports = function (user, context, cb) {
  const response = {};
  response.user = {};
  response.user.app_metadata = {};
  response.user.app_metadata.signup_ip = context.request.ip;
  response.user.app_metadata.domain = (user.email || '').split('@')[1] || null;
  response.user.user_metadata = { language: context.request.language };
  return cb(null, response);
};
