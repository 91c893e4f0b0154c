-- wrk script: creates reports, one per request, each at its own place and with its own text.
-- Prints one JSON line when done. Environment: CENTRES (a file of lon,lat lines).
local centres = {}
for line in io.lines(os.getenv("CENTRES")) do
  local lon, lat = line:match("^([^,]+),([^,]+)")
  if lon then centres[#centres + 1] = { lon, lat } end
end

local counter = 0
function setup(thread)
  thread:set("offset", counter * 100003)
  counter = counter + 1
end

local i = 0
function init(args)
  i = offset or 0
end

function request()
  i = i + 1
  local c = centres[(i % #centres) + 1]
  local body = '{"kind":"drone","description":"bench write ' .. i .. '","lon":' .. c[1] ..
    ',"lat":' .. c[2] .. ',"observed":{"from":"2025-06-13T00:00:00Z"},' ..
    '"sources":[{"name":"bench","type":"civilian","stance":"asserts"}],"tags":["synthetic"]}'
  return wrk.format("POST", "/api/reports", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"bytes":%d,"p50_ms":%.4f,"p99_ms":%.4f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
