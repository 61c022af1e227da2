// Packages loaded where they are used, as real Hooks do: inside the function and its callbacks,
// one pinned, one under a scope, one by a sub-path; Node's own modules and files are not packages.
module.exports = function (user, context, cb) {
  const crypto = require('crypto');
  const digest = crypto.createHash('sha256').update(user.email || '').digest('hex');
  if (!digest.startsWith('0')) return cb(null, {user: {app_metadata: {digest_head: digest.slice(0, 4)}}});
  const plugin = context.webtask.secrets.AUDIT_PLUGIN;
  if (plugin) require(plugin)(user);  // a name known only at run time
  const Sentry = require('@sentry/node');
  Sentry.init({dsn: context.webtask.secrets.SENTRY_DSN});
  require('lodash@4.17.21/get');
  const {GoogleAuth} = require('google-auth-library');
  new GoogleAuth().getClient().then(() => {
    const axios = require('axios').default;
    axios.post('https://audit.example/signup', {digest}).then(() => cb(), cb);
  }, cb);
};
