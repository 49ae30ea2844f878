-- Shared by every wrk script of bench/run.sh: numbers the threads (setup) and prints one
-- machine-readable line at the end (done). Latencies from wrk are in microseconds.
local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local e = summary.errors
   local overrun = 0
   for _, t in ipairs(threads) do
      overrun = overrun + (t:get("overrun") or 0)
   end
   io.write(string.format(
      "RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d sockerr=%d overrun=%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout, overrun))
end
