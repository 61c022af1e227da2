const MESSAGES = {
  en: 'Sign-ups from disposable addresses are not allowed.',
  fr: 'Les adresses jetables ne sont pas acceptées.',
};

exports.onExecutePreUserRegistration = async (event, api) => {
  const domain = (event.user.email || '').split('@')[1];
  if (domain === 'mailinator.com') {
    const lang = ((event.transaction?.locale || event.request.language) || 'en').slice(0, 2);

    api.access.deny(
      'Denied user registration in Pre User Registration Hook',
      MESSAGES[lang] || MESSAGES.en || 'Denied user registration in Pre User Registration Hook'
    );

    return;
  }
};
