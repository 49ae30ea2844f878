-- POST /v3/tasks/delete, each request a different 50-id body from the seeded list, so
-- that every delete succeeds: wrk ... -s sms_delete.lua URL -- IDS_FILE THREADS TOKEN
-- Thread t sends lines t, t+THREADS, …; a thread that runs out starts over (those
-- requests then get 404) and counts it in `overrun`, which run.sh reports.
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local reqs = {}
local i = 0
overrun = 0

function init(args)
   local nthreads = tonumber(args[2])
   local headers = { ["Content-Type"] = "application/json", ["X-Auth-Token"] = args[3] }
   local n = 0
   for line in io.lines(args[1]) do
      if n % nthreads == tid then
         reqs[#reqs + 1] = wrk.format("POST", "/v3/tasks/delete", headers, line)
      end
      n = n + 1
   end
end

function request()
   i = i + 1
   if i > #reqs then
      i = 1
      overrun = overrun + 1
   end
   return reqs[i]
end
