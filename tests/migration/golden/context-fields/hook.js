const ALLOWED_TENANTS = ['acme', 'example-tenant', 'local'];

module.exports = function (user, context, cb) {
  if (!ALLOWED_TENANTS.includes(context.connection.tenant)) {
    return cb(new Error('unknown tenant ' + context.connection.tenant));
  }
  if (context.request.ip === '198.51.100.23') {
    return cb(new PreUserRegistrationError('blocked ip ' + context.request.ip, 'Not from here.'));
  }
  cb(null, {
    user: {
      app_metadata: { connection: context.connection.name, connection_id: context.connection.id },
      user_metadata: { language: context.renderLanguage },
    },
  });
};
