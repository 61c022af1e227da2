// The Action of the serve benchmark: reads the request and enriches the user.
exports.onExecutePreUserRegistration = async (event, api) => {
  const country = (event.request.geoip && event.request.geoip.countryCode) || 'unknown';
  if (country === 'KP') return api.access.deny('blocked country', 'Not available here');
  api.user.setAppMetadata('country', country).user.setUserMetadata('lang', event.request.language);
};
