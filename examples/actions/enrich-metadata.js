// An Action that enriches the user about to be created: where and how they signed up, and a
// plan derived from their e-mail domain. It reads what the Hook before it recorded.

const TEAM_DOMAINS = new Set(['example.com', 'example.org']);

exports.onExecutePreUserRegistration = async (event, api) => {
  const email = (event.user.email || '').toLowerCase();
  const domain = email.split('@')[1] || '';
  const geoip = event.request.geoip || {};

  api.user
    .setAppMetadata('plan', TEAM_DOMAINS.has(domain) ? 'team' : 'free')
    .user.setAppMetadata('signup', {
      country: geoip.countryCode || event.user.app_metadata.signup_country || 'unknown',
      city: geoip.cityName || null,
      client: event.client ? event.client.name : null,
    });
  api.user.setUserMetadata('locale', (event.transaction && event.transaction.locale) ||
    event.request.language || 'en');

  // Universal Login custom prompt fields arrive in the request body.
  const firstName = event.request.body['ulp-first-name'];
  if (firstName !== undefined && String(firstName).trim() === '') {
    api.validation.error('invalid_first_name', 'Please tell us your first name.');
  }
  console.log('enriched %s (%s)', email, domain);
};
