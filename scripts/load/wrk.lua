-- wrk.lua — the load program's cases for wrk (scripts/load/run.sh with
-- LOAD_TOOL=wrk; wrk 4.1.0, LuaJIT).
--
--	wrk -s scripts/load/wrk.lua -H 'Authorization: Bearer TOKEN' URL [-- MAX_CLIENT_ID]
--
-- Without MAX_CLIENT_ID every request is a GET of URL, built once (wrk's
-- fast path, no Lua per request). With it, every request is
-- GET /api/v1/clients/{id}, the id drawn uniformly from 1..MAX_CLIENT_ID by
-- each thread's math.random, seeded from /dev/urandom (the load program's
-- client-show): the request is made once with wrk.format, and only the id is
-- put in per request.
--
-- At the end it prints one tab-separated line for run.sh (latencies in µs,
-- the run's duration in µs; "status" counts answers with an HTTP status > 399,
-- what wrk prints as "Non-2xx or 3xx responses"; the last four, its "Socket
-- errors"):
--
--	wrk-result requests duration p50 p99 status connect read write timeout

local function seed()
   local f = io.open("/dev/urandom", "rb")
   if not f then
      return os.time()
   end
   local b = f:read(4)
   f:close()
   local n = 0
   for i = 1, #b do
      n = n * 256 + b:byte(i)
   end
   return n
end

-- args[0] is the URL, args[1] the first argument after "--".
function init(args)
   local ids = tonumber(args[1])
   if not ids then
      return
   end
   math.randomseed(seed())
   local req = wrk.format(nil, "/api/v1/clients/{id}")
   local at = req:find("{id}", 1, true)
   local head, tail = req:sub(1, at - 1), req:sub(at + 4)
   local random = math.random
   request = function()
      return head .. random(ids) .. tail
   end
end

function done(summary, latency)
   local e = summary.errors
   io.write(string.format("wrk-result\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect, e.read, e.write, e.timeout))
end
