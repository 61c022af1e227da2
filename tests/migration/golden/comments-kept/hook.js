module.exports = function (user, context, cb) {
  // Throwaway addresses never become accounts.
  if (/@mailinator\.com$/.test(user.email || '')) {
    // The friendly message spans two lines on the sign-up page.
    return cb(new PreUserRegistrationError('disposable address', `Please sign up
with a permanent address.`));
  }
  /* Everyone else is tagged with where they came from. */
  cb(null, {user: {app_metadata: {source: 'signup'}}}); // and allowed
};
