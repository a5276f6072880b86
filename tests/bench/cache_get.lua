-- wrk script: every request GETs a random one of CACHE_KEYS cache entries
-- (default 10000) named CACHE_KEY_PREFIX (default "key:") + the index
-- zero-padded to 12 digits, i.e. key:000000000000 .. key:000000009999: the
-- keys of redis-benchmark -r, loaded by cache_load_bench --key-bytes 16.
-- Usage: wrk -s tests/bench/cache_get.lua http://HOST:PORT
local keys = tonumber(os.getenv("CACHE_KEYS") or "") or 10000
local prefix = os.getenv("CACHE_KEY_PREFIX") or "key:"

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end

-- each wrk thread has its own Lua state: give each its own random sequence
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests = {}
function init(args)
  math.randomseed(os.time() * 100 + (id or 0))
  for i = 0, keys - 1 do
    local key = encode(prefix .. string.format("%012d", i))
    requests[i + 1] = wrk.format("GET", "/cache/api/v1/entry?key=" .. key)
  end
end

function request()
  return requests[math.random(keys)]
end
