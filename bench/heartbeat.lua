-- PUT …/heartbeat for every registered instance in turn (auth off):
-- wrk ... -s heartbeat.lua URL -- SERVICES INSTANCES_PER_SERVICE THREADS
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local reqs = {}
local i = 0

function init(args)
   local n, k, nthreads = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
   local m = 0
   for s = 0, n - 1 do
      for j = 0, k - 1 do
         if m % nthreads == tid then
            reqs[#reqs + 1] = wrk.format("PUT", string.format(
               "/v4/default/registry/microservices/bench-svc-%05d/instances/bench-ins-%05d-%d/heartbeat",
               s, s, j))
         end
         m = m + 1
      end
   end
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
