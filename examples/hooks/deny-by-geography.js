// A legacy Hook, written as Auth0's Hook editor taught: refuse sign-ups from countries the
// business cannot serve, with a message in the user's language. Runs unmodified on prereg.

const BLOCKED = ['KP', 'IR', 'SY', 'CU'];

const MESSAGES = {
  en: 'Sorry, we cannot open accounts in your country yet.',
  fr: 'Désolé, nous ne pouvons pas encore ouvrir de compte dans votre pays.',
  de: 'Leider können wir in Ihrem Land noch keine Konten eröffnen.',
};

module.exports = function (user, context, cb) {
  const country = (context.request.geoip && context.request.geoip.country_code) ||
    (context.webtask.secrets.FALLBACK_COUNTRY || '');
  // Hooks see the request's country through the caller's own lookup; prereg's projection keeps
  // Auth0's Hook fields (ip, language), so this Hook asks a small table keyed by IP prefix.
  const byPrefix = {'175.45.': 'KP', '5.62.': 'IR', '203.0.113.': 'GB', '198.51.100.': 'US'};
  const prefix = Object.keys(byPrefix).find((p) => context.request.ip.startsWith(p));
  const resolved = prefix ? byPrefix[prefix] : country;

  if (BLOCKED.includes(resolved)) {
    const lang = (context.renderLanguage || 'en').slice(0, 2);
    return cb(new PreUserRegistrationError(
      `sign-up from blocked country ${resolved} (ip ${context.request.ip})`,
      MESSAGES[lang] || MESSAGES.en));
  }

  const response = {};
  response.user = user;
  response.user.app_metadata = {signup_country: resolved || 'unknown'};
  cb(null, response);
};
