-- GET one path, optionally with an IAM token: wrk ... -s get.lua URL -- PATH [TOKEN]
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local req

function init(args)
   local headers = {}
   if args[2] and args[2] ~= "" then headers["X-Auth-Token"] = args[2] end
   req = wrk.format("GET", args[1], headers)
end

function request()
   return req
end
