module.exports = function (user, context, cb) {
  context.webtask.storage.get((err, data) => {
    if (err) return cb(err);
    const count = (data && data.count) || 0;
    context.webtask.storage.set({ count: count + 1 }, () => cb());
  });
};
