-- Password logins for users that do not exist, each request a different name:
-- wrk ... -s login_flood.lua URL
dofile(os.getenv("BENCH_LUA") .. "/lib.lua")
local n = 0

function request()
   n = n + 1
   local body = string.format(
      '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"flood-%d-%d",' ..
      '"password":"guess","domain":{"name":"demo"}}}}}}', tid or 0, n)
   return wrk.format("POST", "/v3/auth/tokens", {["Content-Type"] = "application/json"}, body)
end
