module.exports = function (user, context, cb) {
  auth0.users.updateAppMetadata(user.id, { imported: true })
    .then(() => cb())
    .catch((err) => cb(err));
};
