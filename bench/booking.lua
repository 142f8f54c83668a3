-- wrk script for bench/booking.py: POST /api/v1/appointments, every request a distinct free slot.
--
-- Request i (counted across all wrk threads: thread t sends i = t, t + T, t + 2T, ...) books
-- engagement ENGAGEMENTS[i mod E] at FIRST + floor(i / E) * STEP: round-robin over the closers,
-- each closer's calls back to back, so no two requests ever ask for the same closer and time.
-- Every prospect is new (a distinct email). Parameters come from the environment (booking.py sets them).

local token = os.getenv("BENCH_TOKEN")
local first = tonumber(os.getenv("BENCH_FIRST_SLOT"))   -- epoch seconds (UTC) of the first slot
local step = tonumber(os.getenv("BENCH_SLOT_SECONDS"))  -- slot length: calls of one closer follow each other
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local engagements = {}
for id in string.gmatch(os.getenv("BENCH_ENGAGEMENTS"), "%d+") do
  engagements[#engagements + 1] = id
end

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local sent = 0
function request()
  local i = tid + nthreads * sent
  sent = sent + 1
  local engagement = engagements[(i % #engagements) + 1]
  local start = first + math.floor(i / #engagements) * step
  local body = string.format(
    '{"engagement_id": %s, "start": "%s", "channel": "video", '
      .. '"lead": {"name": "Prospect %d", "email": "prospect%d@bench.example", "timezone": "America/New_York", '
      .. '"context": {"needs": "A closing call", "budget": "5k"}}}',
    engagement, os.date("!%Y-%m-%dT%H:%M:%SZ", start), i, i)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

-- What the refused requests were: their count per status and the first body of each, printed
-- by wrk at the end (booking.py shows them), so a run with non-2xx answers says why.
local threads = {}
local setup_inner = setup
function setup(thread)
  setup_inner(thread)
  threads[#threads + 1] = thread
end

refused = {}
first_body = {}
function response(status, headers, body)
  if status ~= 201 then
    refused[status] = (refused[status] or 0) + 1
    if first_body[status] == nil then
      first_body[status] = string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  local bodies = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("refused")) do
      total[status] = (total[status] or 0) + count
      bodies[status] = bodies[status] or thread:get("first_body")[status]
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("refused %d x%d: %s\n", status, count, bodies[status] or ""))
  end
end
