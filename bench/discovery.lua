-- GET /v4/default/registry/instances for the registered services in turn (auth off):
-- wrk ... -s discovery.lua URL -- SERVICES THREADS
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local reqs = {}
local i = 0

function init(args)
   local n, nthreads = tonumber(args[1]), tonumber(args[2])
   for k = 0, n - 1 do
      if k % nthreads == tid then
         reqs[#reqs + 1] = wrk.format("GET", string.format(
            "/v4/default/registry/instances?appId=bench&serviceName=svc-%05d", k))
      end
   end
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
