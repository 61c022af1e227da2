const _ = require('lodash@4.17.21');

module.exports = function (user, context, cb) {
  const country = _.get(user, 'user_metadata.country', 'unknown');
  cb(null, { user: { app_metadata: { country_from_form: country } } });
};
