// A post-user-registration Hook: another trigger, never part of sign-up gating.
module.exports = function (user, context, cb) {
  cb(new Error('post-user-registration hooks do not run at pre-user-registration'));
};
