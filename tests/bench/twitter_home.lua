-- wrk script: GET /twitter/api/v1/home_timeline?user_id=U&count=N for a
-- random one of a list of users.
-- Usage: wrk -s tests/bench/twitter_home.lua http://HOST:PORT
--
-- Environment:
--   TW_READERS  file with one user id per line
--   TW_COUNT    count of every request (default 20)
local readers_file = os.getenv("TW_READERS") or error("TW_READERS not set")
local count = tonumber(os.getenv("TW_COUNT") or "") or 20

-- each wrk thread has its own Lua state: give each its own random sequence
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests = {}
function init(args)
  math.randomseed(os.time() * 100 + (id or 0))
  for user in io.lines(readers_file) do
    if user ~= "" then
      requests[#requests + 1] = wrk.format("GET",
        "/twitter/api/v1/home_timeline?user_id=" .. user .. "&count=" .. count)
    end
  end
  if #requests == 0 then
    error("no users in " .. readers_file)
  end
end

function request()
  return requests[math.random(#requests)]
end
