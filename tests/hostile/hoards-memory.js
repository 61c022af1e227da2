// Allocates Buffers — memory outside the V8 heap, which --max-old-space-size does not bound —
// and touches every page so that it counts, until the worker is killed.
exports.onExecutePreUserRegistration = async (event, api) => {
  const kept = [];
  for (;;) {
    kept.push(Buffer.alloc(16 * 1024 * 1024, 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
};
