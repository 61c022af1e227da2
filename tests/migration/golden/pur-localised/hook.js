const MESSAGES = {
  en: 'Sign-ups from disposable addresses are not allowed.',
  fr: 'Les adresses jetables ne sont pas acceptées.',
};

module.exports = function (user, context, cb) {
  const domain = (user.email || '').split('@')[1];
  if (domain === 'mailinator.com') {
    const lang = (context.renderLanguage || 'en').slice(0, 2);
    return cb(new PreUserRegistrationError('Denied user registration in Pre User Registration Hook',
      MESSAGES[lang] || MESSAGES.en));
  }
  cb();
};
