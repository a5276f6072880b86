-- wrk script: GET /search/api/v1/search?query=Q&limit=L over a list of
-- queries, counting the X-Cache answers (HIT/MISS).
-- Usage: wrk -s tests/bench/crawler_queries.lua http://HOST:PORT
--
-- Environment:
--   CRAWLER_QUERIES  file with one query per line (URL-encoded, e.g. a+b)
--   CRAWLER_MODE     cycle: every thread goes round the list, limit 10
--                    (the same cache keys again and again: hits once warm);
--                    unique: no cache key is asked twice in one run: the
--                    threads share out the list (thread t of n takes lines
--                    t+1, t+1+n, ...) with limit 10, then again with limit
--                    11, 12, ... 100 once the list is used up
--   CRAWLER_LIMIT    limit of the cycle mode (default 10)
-- Prints "xcache hit=H miss=M other=O" at the end (O: no X-Cache header).
local file = os.getenv("CRAWLER_QUERIES") or error("CRAWLER_QUERIES not set")
local mode = os.getenv("CRAWLER_MODE") or "cycle"
local limit = tonumber(os.getenv("CRAWLER_LIMIT") or "") or 10

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

local queries = {}
local n_threads = 1
local k = 0
hit, miss, other = 0, 0, 0

function init(args)
  for q in io.lines(file) do
    if q ~= "" then
      queries[#queries + 1] = q
    end
  end
  if #queries == 0 then
    error("no queries in " .. file)
  end
  n_threads = tonumber(os.getenv("CRAWLER_THREADS") or "") or 1
  k = id or 0
end

function request()
  local n = #queries
  local q, l
  if mode == "unique" then
    q = queries[k % n + 1]
    l = limit + math.floor(k / n)
    if l > 100 then
      error("unique mode ran out of cache keys")
    end
    k = k + n_threads
  else
    q = queries[k % n + 1]
    l = limit
    k = k + 1
  end
  return wrk.format("GET", "/search/api/v1/search?query=" .. q .. "&limit=" .. l)
end

function response(status, headers, body)
  local x = headers["X-Cache"] or headers["x-cache"]
  if x == "HIT" then
    hit = hit + 1
  elseif x == "MISS" then
    miss = miss + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local h, m, o = 0, 0, 0
  for _, t in ipairs(threads) do
    h = h + (t:get("hit") or 0)
    m = m + (t:get("miss") or 0)
    o = o + (t:get("other") or 0)
  end
  io.write(string.format("xcache hit=%d miss=%d other=%d\n", h, m, o))
end
