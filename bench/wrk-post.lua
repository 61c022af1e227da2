-- wrk script: POST the benchmark event; with RATE set (requests/s for the whole run), each
-- connection waits between requests so that the total rate is about RATE. Every answer is
-- checked: a status other than 200 or a decision other than the flow's allow with its metadata
-- counts as wrong, and done() prints "wrong N".
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

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

wrong = 0
local expected = '"app_metadata":{"checked_by_hook":true,"country":"GB"}'
function response(status, headers, body)
  if status ~= 200 or not string.find(body, expected, 1, true)
     or not string.find(body, '"outcome":"allow"', 1, true) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wrong") end
  total = total + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout
  io.write(string.format("wrong %d\n", total))
end
