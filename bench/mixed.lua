-- wrk script: a mixed load, nine radius queries (5 km GeoJSON) for every new report.
-- Prints one JSON line when done, with non-2xx answers counted apart.
-- Environment: CENTRES (a file of lon,lat lines).
local centres = {}
for line in io.lines(os.getenv("CENTRES")) do
  local lon, lat = line:match("^([^,]+),([^,]+)")
  if lon then centres[#centres + 1] = { lon, lat } end
end

local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", counter * 100003)
  counter = counter + 1
  table.insert(threads, thread)
end

local i = 0
local bad = 0
function init(args)
  i = offset or 0
end

function request()
  i = i + 1
  local c = centres[(i % #centres) + 1]
  if i % 10 == 0 then
    local body = '{"kind":"drone","description":"load test ' .. i .. '","lon":' .. c[1] ..
      ',"lat":' .. c[2] .. ',"observed":{"from":"2025-06-13T00:00:00Z"},' ..
      '"sources":[{"name":"load","type":"civilian","stance":"asserts"}]}'
    return wrk.format("POST", "/api/reports", { ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("GET", "/api/reports?lon=" .. c[1] .. "&lat=" .. c[2] .. "&radius_km=5&limit=1000")
end

function response(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"socket_errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, non2xx))
end
