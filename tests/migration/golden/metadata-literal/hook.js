module.exports = function (user, context, cb) {
  // Everyone starts on the free plan.
  cb(null, {
    user: {
      user_metadata: { favorite_color: 'purple', newsletter: true },
      app_metadata: { plan: 'free', roles: ['member'] }
    }
  });
};
