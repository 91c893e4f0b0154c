-- wrk script: radius queries over the harness's query centres, one centre per request, each
-- connection from its own place in the list. Prints one JSON line when done.
-- Environment: CENTRES (a file of lon,lat lines), RADIUS_KM, LIMIT.
local centres = {}
for line in io.lines(os.getenv("CENTRES")) do
  local lon, lat = line:match("^([^,]+),([^,]+)")
  if lon then centres[#centres + 1] = { lon, lat } end
end
local radius = os.getenv("RADIUS_KM") or "10"
local limit = os.getenv("LIMIT") or "10000"

local threads = {}
local counter = 0
function setup(thread)
  thread:set("offset", counter * 997)
  counter = counter + 1
  table.insert(threads, thread)
end

local i = 0
function init(args)
  i = offset or 0
end

function request()
  i = i + 1
  local c = centres[(i % #centres) + 1]
  return wrk.format("GET", "/api/reports?lon=" .. c[1] .. "&lat=" .. c[2] ..
    "&radius_km=" .. radius .. "&limit=" .. limit)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"bytes":%d,"p50_ms":%.4f,"p99_ms":%.4f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
