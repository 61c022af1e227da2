// An Action that asks a risk service about the sign-up over HTTP, with its API key from the
// Action's secrets, and caches the answer per IP for five minutes. If the service cannot be
// reached it lets the sign-up through and says so in app_metadata (fail open).

const http = require('http');
const https = require('https');

function post(url, body, apiKey, timeoutMs) {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.request(url, {
      method: 'POST',
      headers: {'content-type': 'application/json', authorization: `Bearer ${apiKey}`},
      timeout: timeoutMs,
    }, (res) => {
      let data = '';
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`risk service said ${res.statusCode}`));
        try { resolve(JSON.parse(data)); } catch (e) { reject(e); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('risk service timed out')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

exports.onExecutePreUserRegistration = async (event, api) => {
  const {RISK_API_URL, RISK_API_KEY} = event.secrets;
  if (!RISK_API_URL) {
    api.user.setAppMetadata('risk', {checked: false, why: 'RISK_API_URL is not set'});
    return;
  }
  const key = `risk:${event.request.ip}`;
  let score;
  const cached = api.cache.get(key);
  if (cached) {
    score = Number(cached.value);
  } else {
    try {
      const answer = await post(RISK_API_URL, {ip: event.request.ip, email: event.user.email},
        RISK_API_KEY, 3000);
      score = answer.score;
      api.cache.set(key, String(score), {ttl: 5 * 60 * 1000});
    } catch (err) {
      console.warn('risk check skipped: %s', err.message);
      api.user.setAppMetadata('risk', {checked: false, why: err.message});
      return;
    }
  }
  if (score >= 90) {
    api.access.deny(`risk score ${score} for ${event.request.ip}`,
      'We could not verify your sign-up. Please contact support.');
    return;
  }
  api.user.setAppMetadata('risk', {checked: true, score});
};
