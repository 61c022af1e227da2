// A Hook that looks for the country where Actions have it: a Hook's context.request held only
// ip and language, so geoip was always undefined here and every sign-up got 'unknown'.
module.exports = function (user, context, cb) {
  const geoip = context.request.geoip || {};
  cb(null, {user: {app_metadata: {country: geoip.country_code || 'unknown', ip: context.request.ip}}});
};
