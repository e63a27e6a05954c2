-- wrk script: POST /v1/chat/completions to the demo agent.
-- BENCH_MODE: new (no session_id: a new session per request),
--             pool (session_id drawn from BENCH_SESSIONS ids, default 1000),
--             hot  (one session for every request).
--             unique (a new client-chosen session_id per request: sessions pile up).
--             seq  (session ids BENCH_SESSION_PREFIX0 .. BENCH_SESSIONS-1 in turn,
--                   from BENCH_SEQ_START: after BENCH_SESSIONS requests each exists).
-- BENCH_STREAM=1 asks for a streamed reply. BENCH_MODEL names the agent (demo).
-- BENCH_API=responses posts the same turn to /v1/responses instead (the
-- session, for pool/hot, named as its conversation).
-- BENCH_SESSION_PREFIX starts the pool's session ids (bench-): runs as
-- different users need sessions of their own.
local mode = os.getenv("BENCH_MODE") or "new"
local sessions = tonumber(os.getenv("BENCH_SESSIONS") or "1000")
local stream = os.getenv("BENCH_STREAM") == "1"
local token = os.getenv("BENCH_TOKEN")
local model = os.getenv("BENCH_MODEL") or "demo"
local pool_prefix = os.getenv("BENCH_SESSION_PREFIX") or "bench-"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local api = os.getenv("BENCH_API") or "chat"

local function body(session)
  if api == "responses" then
    local conv = ""
    if session then conv = ',"conversation":"' .. session .. '"' end
    return '{"model":"' .. model .. '","stream":' .. tostring(stream) ..
           ',"input":"Hello there, how are you?"' .. conv .. '}'
  end
  local meta = ""
  if session then meta = ',"metadata":{"session_id":"' .. session .. '"}' end
  return '{"model":"' .. model .. '","stream":' .. tostring(stream) ..
         ',"messages":[{"role":"user","content":"Hello there, how are you?"}]' .. meta .. '}'
end

local fixed = body(nil)
local hot = body("bench-hot")
local counter = 0
local seq_start = tonumber(os.getenv("BENCH_SEQ_START") or "0")
-- Distinct per run, so "unique" ids never meet sessions of an earlier run.
local prefix = tostring(os.time()) .. tostring(math.random(1000000))

request = function()
  if mode == "pool" then
    counter = counter + 1
    local s = pool_prefix .. tostring(math.random(sessions))
    return wrk.format(nil, nil, nil, body(s))
  elseif mode == "seq" then
    local s = pool_prefix .. tostring((seq_start + counter) % sessions)
    counter = counter + 1
    return wrk.format(nil, nil, nil, body(s))
  elseif mode == "unique" then
    counter = counter + 1
    return wrk.format(nil, nil, nil, body("u-" .. prefix .. "-" .. tostring(counter)))
  elseif mode == "hot" then
    return wrk.format(nil, nil, nil, hot)
  end
  return wrk.format(nil, nil, nil, fixed)
end

local non2xx = 0
response = function(status, headers, b)
  if status ~= 200 then non2xx = non2xx + 1 end
end
