-- wrk script: sends every request of a list exactly once, then stops.
-- The Twitter benchmarks use it for their setup (users, follows, reads,
-- tweets), which needs tens of thousands of distinct requests, fast.
--
-- Environment:
--   WALK_FILE     the list: one request per line, "METHOD<TAB>PATH<TAB>BODY"
--                 (BODY may be empty; a non-empty one is sent as JSON)
--   WALK_THREADS  the -t of the wrk run; run it with -c equal to -t, so that
--                 every thread has exactly one connection
--   WALK_OUT      prefix of the result files: thread k writes WALK_OUT.k,
--                 one line per response of the list, "STATUS<TAB>BODY"
--                 (BODY only with WALK_BODIES=1; newlines become spaces)
--   WALK_BODIES   1: keep the response bodies (e.g. auth tokens)
--
-- Thread k sends lines k+1, k+1+T, k+1+2T, ... (T = WALK_THREADS). With one
-- connection per thread a response always belongs to the request sent last,
-- so the thread stops right after the answer to its last line (until the
-- event loop notices, it sends GET /healthz, not recorded) and creates the
-- file WALK_OUT.done.k. wrk itself only ends after -d or on SIGINT: the
-- caller waits for the done files of all threads, sends SIGINT and checks
-- that every line was answered.
-- wrk calls request() of the first thread once before the run, to check
-- the request (script_verify_request); that call gets GET /healthz too.
local file = os.getenv("WALK_FILE") or error("WALK_FILE not set")
local nthreads = tonumber(os.getenv("WALK_THREADS") or "") or error("WALK_THREADS not set")
local out_prefix = os.getenv("WALK_OUT") or error("WALK_OUT not set")
local keep_bodies = os.getenv("WALK_BODIES") == "1"

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests = {}
local filler
local sent = 0 -- requests of the list sent
local last_real = false -- the request in flight is one of the list
local answered = 0
local fillers = 0
local verify_call = false
local out
local finished = false

local function finish()
  if not finished then
    finished = true
    out:close()
    assert(io.open(out_prefix .. ".done." .. id, "w")):close()
  end
  wrk.thread:stop()
end

function init(args)
  local n = 0
  for line in io.lines(file) do
    if n % nthreads == id then
      local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
      if not method then
        error("bad line in " .. file .. ": " .. line)
      end
      local headers = {}
      if body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
    n = n + 1
  end
  filler = wrk.format("GET", "/healthz")
  verify_call = (id == 0)
  out = assert(io.open(out_prefix .. "." .. id, "w"))
  out:setvbuf("full")
end

function request()
  if verify_call then
    verify_call = false
    last_real = false
    return filler
  end
  if sent < #requests then
    sent = sent + 1
    last_real = true
    return requests[sent]
  end
  last_real = false
  fillers = fillers + 1
  if fillers > 100 then
    -- a request of the list got no answer (lost on a socket error): give up
    finish()
  end
  return filler
end

function response(status, headers, body)
  if finished then
    return
  end
  if last_real then
    answered = answered + 1
    if keep_bodies and body then
      out:write(status, "\t", (body:gsub("[\r\n]", " ")), "\n")
    else
      out:write(status, "\n")
    end
  end
  if answered >= #requests then
    finish()
  end
end
