-- wrk script: a stream of tweets, cycling over a list of authors.
-- Usage: wrk -s tests/bench/twitter_post.lua http://HOST:PORT
--
-- Environment:
--   TW_AUTHORS      file with one "USER_ID AUTH_TOKEN" per line
--   TW_STATUS       the status text (default "fan-out bench"); each tweet is
--                   "<author>: <TW_STATUS>" (short: bodies are kept per shard)
--   TW_RATE         tweets/s over all connections (default 0: as fast as
--                   the server answers)
--   TW_CONNECTIONS  the -c of the wrk run (used with TW_RATE without FFI)
--   TW_THREADS      the -t of the wrk run (needed with TW_RATE)
-- Thread k starts at author k, so the threads post for different authors.
local authors_file = os.getenv("TW_AUTHORS") or error("TW_AUTHORS not set")
local status = os.getenv("TW_STATUS") or "fan-out bench"
local rate = tonumber(os.getenv("TW_RATE") or "") or 0
local connections = tonumber(os.getenv("TW_CONNECTIONS") or "") or 1
local threads = tonumber(os.getenv("TW_THREADS") or "") or 1

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests = {}
local i = 0

function init(args)
  for line in io.lines(authors_file) do
    local user, token = line:match("^(%S+)%s+(%S+)$")
    if user then
      local body = string.format('{"user_id":"%s","auth_token":"%s","status":"%s: %s"}',
        user, token, user, status)
      requests[#requests + 1] = wrk.format("POST", "/twitter/api/v1/tweet",
        { ["Content-Type"] = "application/json" }, body)
    end
  end
  if #requests == 0 then
    error("no authors in " .. authors_file)
  end
  i = id or 0
end

function request()
  i = i + 1
  return requests[(i % #requests) + 1]
end

if rate > 0 then
  -- Each thread sends its share of the rate on a schedule: every request
  -- takes the next free slot (slots 1/share s apart, never in the past), and
  -- its connection waits for it. The clock is clock_gettime through LuaJIT's
  -- FFI; without it, each connection pauses connections/rate s instead
  -- (the pause then comes on top of the latency: a lower rate).
  local ok, ffi = pcall(require, "ffi")
  if ok then
    ffi.cdef [[
      typedef struct { long tv_sec; long tv_nsec; } tw_timespec;
      int clock_gettime(int clk_id, tw_timespec* tp);
    ]]
    local ts = ffi.new("tw_timespec")
    local function now_ms()
      ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
    local interval -- ms between this thread's requests
    local next_slot = nil
    function delay()
      if not interval then
        interval = 1000 * (threads or 1) / rate
      end
      local now = now_ms()
      if next_slot == nil or next_slot < now then
        next_slot = now
      end
      local wait = next_slot - now
      next_slot = next_slot + interval
      return wait
    end
  else
    local pause = connections * 1000 / rate
    function delay()
      return pause
    end
  end
end
