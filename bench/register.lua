-- POST …/instances: a new instance with an id of its own on each call, round-robin over
-- the registered services (auth off):
-- wrk ... -s register.lua URL -- SERVICES
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local services = 0
local n = 0

function init(args)
   services = tonumber(args[1])
end

function request()
   local s = n % services
   n = n + 1
   local body = string.format(
      '{"instance":{"instanceId":"wrk-%d-%d","hostName":"wrk-%d-%d",' ..
      '"endpoints":["rest://10.%d.%d.%d:8080"],"status":"UP",' ..
      '"healthCheck":{"mode":"push","interval":60,"times":3}}}',
      tid, n, tid, n, math.floor(s / 256) % 256, s % 256, tid)
   return wrk.format("POST",
      string.format("/v4/default/registry/microservices/bench-svc-%05d/instances", s),
      {["Content-Type"] = "application/json"}, body)
end
