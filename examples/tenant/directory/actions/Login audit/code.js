// Bound to post-login only: never part of sign-up gating.
exports.onExecutePostLogin = async () => {};
