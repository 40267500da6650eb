-- wrk script of benchmarks/http_load.py: walk the pages given after "--", count X-Cache.
-- Each connection's thread takes the pages in turn; done() prints the hit and miss counts of
-- the 2xx answers, and per wall-clock second (os.time() at the answer): answers, non-2xx, hits,
-- misses (the timeline of benchmarks/http_faults.py).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for i = 1, #args do
    paths[#paths + 1] = args[i]
  end
  if #paths == 0 then
    paths[1] = "/"
  end
  index = 0
  hits = 0
  misses = 0
  -- the counts of the current second, and the finished seconds as text: thread:get() copies
  -- numbers and strings between the threads' Lua states (a nested table crashes wrk 4.1)
  now, answers, failed, shit, smiss = 0, 0, 0, 0, 0
  finished = ""
end

local function flush()
  if answers > 0 then
    finished = finished .. string.format(
      "second %d answers %d non2xx %d hits %d misses %d\n", now, answers, failed, shit, smiss)
  end
  answers, failed, shit, smiss = 0, 0, 0, 0
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function response(status, headers, body)
  local second = os.time()
  if second ~= now then
    flush()
    now = second
  end
  answers = answers + 1
  if status < 200 or status > 299 then
    failed = failed + 1
    return
  end
  local state = headers["X-Cache"] or headers["x-cache"]
  if state == "hit" then
    hits = hits + 1
    shit = shit + 1
  elseif state == "miss" then
    misses = misses + 1
    smiss = smiss + 1
  end
end

function done(summary, latency, requests)
  local h, m = 0, 0
  local all = {}
  local function add(line_now, counts)
    local sum = all[line_now] or {0, 0, 0, 0}
    for i = 1, 4 do
      sum[i] = sum[i] + counts[i]
    end
    all[line_now] = sum
  end
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    local pattern = "second (%d+) answers (%d+) non2xx (%d+) hits (%d+) misses (%d+)"
    for t, a, f, x, y in string.gmatch(thread:get("finished"), pattern) do
      add(tonumber(t), {tonumber(a), tonumber(f), tonumber(x), tonumber(y)})
    end
    if thread:get("answers") > 0 then
      add(thread:get("now"), {thread:get("answers"), thread:get("failed"), thread:get("shit"),
                              thread:get("smiss")})
    end
  end
  io.write(string.format("x-cache hits %d misses %d\n", h, m))
  for t, c in pairs(all) do
    io.write(string.format("second %d answers %d non2xx %d hits %d misses %d\n",
                           t, c[1], c[2], c[3], c[4]))
  end
end
