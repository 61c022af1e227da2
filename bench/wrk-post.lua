-- wrk script: POST the benchmark event; with RATE set (requests/s for the whole run), each
-- connection waits between requests so that the total rate is about RATE.
wrk.method = "POST"
wrk.body = '{"user":{"email":"ada@example.com","username":"ada"},"request":{"ip":"203.0.113.7","language":"en","method":"POST","geoip":{"countryCode":"GB"},"body":{"password":"pw"}},"connection":{"id":"con_1","name":"db","strategy":"auth0"},"tenant":{"id":"bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"

local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
function delay()
  if rate <= 0 then return 0 end
  -- Each connection paces itself; jitter avoids lock-step bursts.
  local per_connection_ms = connections * 1000 / rate
  return per_connection_ms * (0.5 + math.random())
end
