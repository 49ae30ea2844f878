#!/usr/bin/env bash
# cloudtwin benchmarks (issue 7, docs/performance.md): each figure beside its ceiling,
# measured in the same run, printed as a table of figure, value, ceiling and ratio.
#
#   bench/run.sh              # everything, about 7 minutes on 2 cores after the build
#   BENCH_SECS=3 bench/run.sh # shorter wrk runs
#   BENCH_ONLY=sms|registry|startup|logins|simulation|console bench/run.sh
#
# Load goes only to 127.0.0.1, every run is bounded in time or count, and every process
# started here is stopped here. Scratch files live in target/bench/ (BENCH_WORK).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECS=${BENCH_SECS:-5}
ONLY=${BENCH_ONLY:-all}
WORK=${BENCH_WORK:-$ROOT/target/bench}
SMS_TASKS=${BENCH_SMS_TASKS:-100000}
REG_SERVICES=${BENCH_REG_SERVICES:-10000}
REG_INSTANCES=${BENCH_REG_INSTANCES:-5}
REG_DELETE=${BENCH_REG_DELETE:-1000}
REG_CHURN=${BENCH_REG_CHURN:-100000}
START_TASKS=${BENCH_START_TASKS:-100000}
START_INSTANCES=${BENCH_START_INSTANCES:-100000}
SIM_RUNS=${BENCH_SIM_RUNS:-10000}
export BENCH_LUA=$ROOT/bench
mkdir -p "$WORK"
RESULTS=$WORK/results.tsv
LOG=$WORK/run.log
: >"$RESULTS"
: >"$LOG"

say() { printf '%s\n' "$*" | tee -a "$LOG" >&2; }

# --- tools -------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >>"$LOG" 2>&1 || { apt-get update >>"$LOG" 2>&1 && apt-get install -y wrk >>"$LOG" 2>&1; }
    else sudo apt-get install -y wrk >>"$LOG" 2>&1; fi
fi
command -v curl >/dev/null || { say "curl is required"; exit 1; }

say "building (release)…"
PERF=$(cargo build --release --bins --benches --message-format=json-render-diagnostics 2>>"$LOG" |
    python3 -c 'import json,sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "perf" and m.get("executable"):
        print(m["executable"])') || { say "the release build failed (see $LOG)"; exit 1; }
BIN=$ROOT/target/release/cloudtwin
[ -x "$PERF" ] && [ -x "$BIN" ] || { say "build did not produce the binaries (see $LOG)"; exit 1; }

# --- process helpers -----------------------------------------------------------------
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 30000))
        ss -ltn 2>/dev/null | grep -q ":$port\b" || { echo "$port"; return; }
    done
}

SERVER_PID=
PORT=
# copy_db SRC DST: a stopped server's file with its write-ahead log, if one is left.
copy_db() {
    cp "$1" "$2"
    if [ -e "$1-wal" ]; then cp "$1-wal" "$2-wal"; fi
}

# start_server DB [ENV=VALUE…]: the release binary on a free loopback port, logs at warn.
start_server() {
    local db=$1; shift
    PORT=$(free_port)
    env CLOUDTWIN_LOG__LEVEL=warn "$@" "$BIN" serve --database "$db" --listen "127.0.0.1:$PORT" \
        >>"$LOG" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    "$PERF" wait-ready "127.0.0.1:$PORT" 30000 >/dev/null
}
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

TRIVIAL_PID=
TRIVIAL_PORT=
start_trivial() {
    TRIVIAL_PORT=$(free_port)
    "$PERF" trivial "127.0.0.1:$TRIVIAL_PORT" >>"$LOG" 2>&1 &
    TRIVIAL_PID=$!
    PIDS+=("$TRIVIAL_PID")
    for _ in $(seq 200); do
        curl -fs "http://127.0.0.1:$TRIVIAL_PORT/" >/dev/null && return
        sleep 0.05
    done
    say "trivial server did not start"; exit 1
}

token() {
    curl -si "http://127.0.0.1:$PORT/v3/auth/tokens" -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],
      "password":{"user":{"name":"demo","password":"demo-password","domain":{"name":"demo"}}}},
      "scope":{"project":{"name":"cn-north-4"}}}}' |
        awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'
}

# wrk threads for a concurrency: 1 for c=1, else 2 (one per core)
threads() { echo $(($1 < 2 ? 1 : 2)); }

# wrk_run CONC PORT SCRIPT [SCRIPT ARGS…] → the RESULT line
wrk_run() {
    local conc=$1 port=$2 script=$3; shift 3
    local out
    out=$(wrk -t"$(threads "$conc")" -c"$conc" -d"${SECS}s" --timeout 5s --latency \
        -s "$ROOT/bench/$script" "http://127.0.0.1:$port" -- "$@" 2>&1)
    printf '%s\n' "$out" >>"$LOG"
    printf '%s\n' "$out" | grep '^RESULT' | tail -1
}

# field LINE KEY → value of KEY=value in a RESULT line
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }

# row FIGURE VALUE UNIT CEILING CEILING_NAME [NOTE [RATIO]]: RATIO defaults to VALUE/CEILING
row() {
    local ratio=${7:-}
    if [ -z "$ratio" ]; then
        ratio=-
        if [ "$4" != - ]; then ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { if (b <= 0) print "-"; else if (100 * a / b < 1) printf "%.2f%%", 100 * a / b; else printf "%.0f%%", 100 * a / b }'); fi
    fi
    printf '%s\t%s %s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4 ${5:-}" "$ratio" "${6:-}" >>"$RESULTS"
}

check_clean() { # warn about failed or repeated requests in a RESULT line
    local what=$1 line=$2 key v
    for key in non2xx errors overrun sockerr; do
        v=$(field "$line" "$key")
        if [ -n "$v" ] && [ "$v" != 0 ]; then say "WARNING: $what: $key=$v ($line)"; fi
    done
}

say "cloudtwin benchmarks, $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes')"
say "machine: nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/Mem:/{print $2}') MB RAM, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
others() { echo "$(pgrep -c -x rustc || true) rustc, $(pgrep -c -x cargo || true) cargo, $(pgrep -c -f 'debug/cloudtwin|debug/deps' || true) debug test processes running besides this run"; }
say "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(others)"

# --- 1. SMS batch delete ---------------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = sms ]; then
    say "== SMS batch delete: seeding $SMS_TASKS deletable tasks…"
    rm -f "$WORK"/sms.db*
    seed=$("$PERF" sms-seed "$WORK/sms.db" "$SMS_TASKS" "$WORK/sms-ids.txt" | grep '^RESULT')
    say "   $seed"
    start_trivial
    for c in 1 8 64; do
        triv=$(wrk_run "$c" "$TRIVIAL_PORT" get.lua /)
        rm -f "$WORK"/run.db*; cp "$WORK/sms.db" "$WORK/run.db"
        start_server "$WORK/run.db"
        tok=$(token)
        http=$(wrk_run "$c" "$PORT" sms_delete.lua "$WORK/sms-ids.txt" "$(threads "$c")" "$tok")
        stop_server
        rm -f "$WORK"/run.db*; cp "$WORK/sms.db" "$WORK/run.db"
        raw=$("$PERF" sms-raw "$WORK/run.db" "$WORK/sms-ids.txt" "$c" "$SECS" | grep '^RESULT')
        rm -f "$WORK"/run.db*; cp "$WORK/sms.db" "$WORK/run.db"
        sql=$("$PERF" sms-sqlite "$WORK/run.db" "$WORK/sms-ids.txt" "$SECS" | grep '^RESULT')
        say "   c=$c trivial: $triv"
        say "   c=$c cloudtwin: $http"
        say "   c=$c raw store: $raw"
        say "   raw SQLite: $sql"
        check_clean "batch delete c=$c" "$http"
        check_clean "raw store c=$c" "$raw"
        invalid=
        if [ "$(field "$http" overrun)" != 0 ] || [ "$(field "$http" non2xx)" != 0 ]; then
            invalid="INVALID: seeded ids ran out or requests failed; raise BENCH_SMS_TASKS"
        fi
        row "SMS batch delete (50 ids), c=$c" "$(field "$http" rps)" "req/s" "$(field "$raw" rps)" "(raw store, same c)" "$invalid"
        row "  same, vs raw SQLite (id-keyed plan, 1 connection)" "$(field "$http" rps)" "req/s" "$(field "$sql" rps)" "(rusqlite)"
        row "  same, vs trivial actix handler, c=$c" "$(field "$http" rps)" "req/s" "$(field "$triv" rps)" "(trivial GET /)"
        row "  latency p50 / p99, c=$c" "$(field "$http" p50_ms) / $(field "$http" p99_ms)" "ms" \
            "$(field "$raw" p50_ms) / $(field "$raw" p99_ms) ms" "(raw store)" "$([ "$c" = 64 ] && echo 'target p99 < 20 ms')" -
    done
    kill -TERM "$TRIVIAL_PID"; wait "$TRIVIAL_PID" 2>/dev/null || true
    rm -f "$WORK"/run.db* "$WORK"/sms.db* "$WORK/sms-ids.txt"
fi

say "midway: load $(cut -d' ' -f1-3 /proc/loadavg); $(others)"

# --- 2. Registry -------------------------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = registry ]; then
    say "== Registry (auth.registry=off): registering $REG_SERVICES services × $REG_INSTANCES instances…"
    rm -f "$WORK"/reg*.db*
    start_server "$WORK/reg.db" CLOUDTWIN_AUTH__REGISTRY=off
    reg=$("$PERF" reg-register "http://127.0.0.1:$PORT" "$REG_SERVICES" "$REG_INSTANCES" 64 | grep '^RESULT')
    say "   register: $reg"
    check_clean "register" "$reg"
    row "Registry register ($REG_SERVICES services + $((REG_SERVICES * REG_INSTANCES)) instances, 64 in flight)" \
        "$(field "$reg" rps)" "req/s" - "" "each service's registration, then its instances one by one; $(field "$reg" services_per_s) services/s, p99 $(field "$reg" p99_ms) ms, $(field "$reg" seconds) s"

    # Discovery and heartbeats against their ceilings, in three interleaved rounds, each
    # figure the median of its three: one 5 s run after another, the ratios moved by
    # ±25 % on this shared machine. The journal-off server runs on a copy of the file,
    # taken after a clean stop (which empties the WAL).
    stop_server
    copy_db "$WORK/reg.db" "$WORK/reg-nj.db"
    start_server "$WORK/reg-nj.db" CLOUDTWIN_AUTH__REGISTRY=off CLOUDTWIN_JOURNAL__ENABLED=false
    NJ_PORT=$PORT NJ_PID=$SERVER_PID
    start_server "$WORK/reg.db" CLOUDTWIN_AUTH__REGISTRY=off
    start_trivial
    runs=()
    for round in 1 2 3; do
        runs+=("triv $(wrk_run 64 "$TRIVIAL_PORT" get.lua /)")
        runs+=("disc $(wrk_run 64 "$PORT" discovery.lua "$REG_SERVICES" 2)")
        runs+=("disc_nj $(wrk_run 64 "$NJ_PORT" discovery.lua "$REG_SERVICES" 2)")
        runs+=("hb $(wrk_run 64 "$PORT" heartbeat.lua "$REG_SERVICES" "$REG_INSTANCES" 2)")
        runs+=("hb_nj $(wrk_run 64 "$NJ_PORT" heartbeat.lua "$REG_SERVICES" "$REG_INSTANCES" 2)")
    done
    kill -TERM "$TRIVIAL_PID" "$NJ_PID"; wait "$TRIVIAL_PID" "$NJ_PID" 2>/dev/null || true
    # median NAME → the RESULT line of the middle run of NAME by rate
    median() {
        printf '%s\n' "${runs[@]}" | awk -v n="$1" '$1 == n {sub(/^[^ ]+ /, ""); print}' |
            sed 's/.*rps=\([0-9.]*\).*/\1 &/' | sort -g | sed -n 2p | cut -d' ' -f2-
    }
    rates() {
        printf '%s\n' "${runs[@]}" | awk -v n="$1" '$1 == n' |
            sed -n 's/.*rps=\([0-9]*\).*/\1/p' | tr '\n' ' '
    }
    triv=$(median triv) disc=$(median disc) disc_nj=$(median disc_nj)
    hb=$(median hb) hb_nj=$(median hb_nj)
    for name in triv disc disc_nj hb hb_nj; do say "   $name c=64, three rounds (req/s): $(rates $name)"; done
    say "   trivial c=64 (median): $triv"
    say "   discovery c=64 (median): $disc"
    say "   heartbeat c=64 (median): $hb"
    say "   discovery c=64, journal off (median): $disc_nj"
    say "   heartbeat c=64, journal off (median): $hb_nj"
    check_clean discovery "$disc"
    check_clean heartbeat "$hb"
    # Churn: instances registered and deregistered; what is gone must not stay in memory.
    rss_before=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    churn=$("$PERF" reg-churn "http://127.0.0.1:$PORT" "$REG_SERVICES" "$REG_CHURN" 64 | grep '^RESULT')
    rss_after=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    say "   churn: $churn; VmRSS ${rss_before} → ${rss_after} MB"
    # Instance registration alone (the target's figure): new instances on the services
    # that exist, for as long as the other loads. Last, so that discovery and heartbeats
    # saw five per service.
    more=$(wrk_run 64 "$PORT" register.lua "$REG_SERVICES")
    say "   register instances c=64: $more"
    check_clean "register instances" "$more"
    row "Registry instance registration POST …/instances, c=64" \
        "$(field "$more" rps)" "instances/s" - "" "target ≥ 10,000 instances/s; p99 $(field "$more" p99_ms) ms; new ids on the registered services"
    stop_server
    # Registration's ceilings: the handler's store path without HTTP (the sqlx writer),
    # and the same statements in raw SQLite, each on its own copy of the file.
    copy_db "$WORK/reg.db" "$WORK/reg-wstore.db"
    copy_db "$WORK/reg.db" "$WORK/reg-wraw.db"
    wstore=$("$PERF" reg-store-register "$WORK/reg-wstore.db" "$REG_SERVICES" "$REG_INSTANCES" 64 | grep '^RESULT')
    wraw=$("$PERF" reg-raw-register "$WORK/reg-wraw.db" "$REG_SERVICES" "$REG_INSTANCES" | grep '^RESULT')
    say "   register through the store, no HTTP, 64 tasks: $wstore"
    say "   register in raw SQLite, same statements, one thread: $wraw"
    check_clean "store register" "$wstore"
    row "  instance registration vs its store path without HTTP (group commit on the sqlx writer, 64 tasks)" "$(field "$more" rps)" "req/s" "$(field "$wstore" rps)" "(store)" "store p99 $(field "$wstore" p99_ms) ms; $(field "$wstore" switches_per_op) context switches per registration"
    row "  the store path vs raw SQLite, the same INSERTs 64 a transaction, one thread" "$(field "$wstore" rps)" "req/s" "$(field "$wraw" rps)" "(raw SQLite)" "raw: $(field "$wraw" switches_per_op) context switches per registration"
    # The same two operations on the registry's read model without HTTP (same file, server stopped).
    sdisc=$("$PERF" reg-store-load "$WORK/reg.db" discovery "$REG_SERVICES" "$REG_INSTANCES" 64 "$SECS" | grep '^RESULT')
    shb=$("$PERF" reg-store-load "$WORK/reg.db" heartbeat "$REG_SERVICES" "$REG_INSTANCES" 64 "$SECS" | grep '^RESULT')
    say "   store discovery c=64: $sdisc"
    say "   store heartbeat c=64: $shb"
    check_clean "store discovery" "$sdisc"
    check_clean "store heartbeat" "$shb"
    row "Registry discovery GET /instances, c=64" "$(field "$disc" rps)" "req/s" "$(field "$triv" rps)" "(trivial GET /)" "target ≥ 50%; medians of 3 interleaved runs: $(rates disc)vs $(rates triv)"
    row "  latency p50 / p99, c=64" "$(field "$disc" p50_ms) / $(field "$disc" p99_ms)" "ms" - "" "target p99 < 20 ms"
    row "  discovery vs the read model without HTTP, c=64" "$(field "$disc" rps)" "req/s" "$(field "$sdisc" rps)" "(model, 64 tasks)" "model p99 $(field "$sdisc" p99_ms) ms"
    row "  discovery with the journal on vs off, c=64" "$(field "$disc" rps)" "req/s" "$(field "$disc_nj" rps)" "(journal off)" "target ≥ 90%; p99 $(field "$disc" p99_ms) vs $(field "$disc_nj" p99_ms) ms"
    row "Registry heartbeat PUT, c=64" "$(field "$hb" rps)" "req/s" "$(field "$triv" rps)" "(trivial GET /)" "target ≥ 25%; medians of 3 interleaved runs: $(rates hb)vs $(rates triv)"
    row "  latency p50 / p99, c=64" "$(field "$hb" p50_ms) / $(field "$hb" p99_ms)" "ms" - "" "target p99 < 20 ms"
    row "  heartbeat with the journal on vs off, c=64" "$(field "$hb" rps)" "req/s" "$(field "$hb_nj" rps)" "(journal off)" "target ≥ 90%; p99 $(field "$hb" p99_ms) vs $(field "$hb_nj" p99_ms) ms"
    row "  heartbeat vs the read model without HTTP, c=64" "$(field "$hb" rps)" "req/s" "$(field "$shb" rps)" "(model, 64 tasks)" "model p99 $(field "$shb" p99_ms) ms"
    row "Registry churn: $REG_CHURN instances registered + deregistered, VmRSS after" "$rss_after" "MB" "$rss_before" "(VmRSS before)" "margin: within 20 MB; $(field "$churn" seconds) s, $(field "$churn" errors) errors"

    "$PERF" reg-seed-extra "$WORK/reg.db" "$REG_DELETE" >/dev/null
    cp "$WORK/reg.db" "$WORK/reg-raw.db"
    cp "$WORK/reg.db" "$WORK/reg-store.db"
    start_server "$WORK/reg.db" CLOUDTWIN_AUTH__REGISTRY=off
    ids=$(seq 0 $((REG_DELETE - 1)) | awk '{printf "%s\"bench-svc-%05d\"", (NR>1?",":""), $1}')
    printf '{"serviceIds":[%s],"force":true}' "$ids" >"$WORK/reg-delete.json"
    del_s=$(curl -s -o "$WORK/reg-delete.out" -w '%{time_total}' -X DELETE \
        "http://127.0.0.1:$PORT/v4/default/registry/microservices" \
        -H 'Content-Type: application/json' --data-binary "@$WORK/reg-delete.json")
    failed=$( (grep -o errMessage "$WORK/reg-delete.out" || true) | wc -l)
    stop_server
    raw=$("$PERF" reg-raw-delete "$WORK/reg-raw.db" "$REG_DELETE" | grep '^RESULT')
    store=$("$PERF" reg-store-delete "$WORK/reg-store.db" "$REG_DELETE" | grep '^RESULT')
    say "   force delete over HTTP: ${del_s}s, $failed failed; raw: $raw; store: $store"
    [ "$failed" = 0 ] || say "WARNING: $failed services of the batch delete failed"
    # Ratios as speed (ceiling time / our time), so that higher is better everywhere.
    raw_s=$(field "$raw" seconds)
    store_s=$(field "$store" seconds)
    row "Registry force batch delete $REG_DELETE services (wall)" "$del_s" "s" "$raw_s s" \
        "(raw SQLite, same statements)" "ratio = raw time / ours" \
        "$(awk -v a="$del_s" -v b="$raw_s" 'BEGIN{printf "%.0f%%", 100*b/a}')"
    row "  same through registry::store, no HTTP" "$store_s" "s" "$raw_s s" "(raw SQLite)" "" \
        "$(awk -v a="$store_s" -v b="$raw_s" 'BEGIN{printf "%.0f%%", 100*b/a}')"
    rm -f "$WORK"/reg*.db* "$WORK"/reg-delete.*
fi

# --- 3. Startup and RSS at size ----------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = startup ]; then
    say "== Startup: seeding $START_TASKS tasks and $START_INSTANCES instances…"
    rm -f "$WORK"/start.db*
    seed=$("$PERF" startup-seed "$WORK/start.db" "$START_TASKS" "$START_INSTANCES" | grep '^RESULT')
    say "   $seed ($(du -m "$WORK/start.db" | cut -f1) MB)"
    times=()
    for run in 1 2 3 4 5; do
        PORT=$(free_port)
        t0=$(date +%s%N)
        env CLOUDTWIN_LOG__LEVEL=warn CLOUDTWIN_AUTH__REGISTRY=off "$BIN" serve \
            --database "$WORK/start.db" --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
        SERVER_PID=$!
        PIDS+=("$SERVER_PID")
        t1=$("$PERF" wait-ready "127.0.0.1:$PORT" 30000)
        times+=($(( (t1 - t0) / 1000000 )))
        if [ "$run" -lt 5 ]; then stop_server; fi
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    say "   spawn → /ready 200 (ms): ${times[*]}"
    # RSS after load on the big database (server from run 5 still up).
    tok=$(token)
    disc=$(wrk_run 64 "$PORT" discovery.lua "$((START_INSTANCES / 5))" 2)
    sleep 1 # let the last discovery requests finish before the next load
    tasks=$(wrk_run 64 "$PORT" get.lua "/v3/tasks?limit=50" "$tok")
    sleep 2 # requests wrk gave up on still finish on the server: include them in the peak
    hwm=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    rss=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    stop_server
    # The task list's ceilings: its reads through the store (sqlx) without HTTP, and the
    # same statements in raw SQLite.
    lstore=$("$PERF" sms-list-store "$WORK/start.db" 64 "$SECS" | grep '^RESULT')
    lraw=$("$PERF" sms-list-sqlite "$WORK/start.db" "$SECS" | grep '^RESULT')
    check_clean "store task list" "$lstore"
    say "   list tasks through the store, no HTTP, 64 tasks: $lstore"
    say "   list tasks in raw SQLite, same statements, two threads: $lraw"
    say "   list tasks at size c=64: $tasks"
    say "   discovery at size c=64: $disc"
    say "   VmHWM ${hwm} MB, VmRSS ${rss} MB"
    row "Startup to /ready, $START_TASKS tasks + $START_INSTANCES instances (median of 5)" "$median" "ms" - "" "target < 300 ms; runs: $sorted"
    row "Peak RSS (VmHWM) at that size, after the two loads below" "$hwm" "MB" - "" "target < 150 MB; VmRSS after: $rss MB"
    row "  GET /v3/tasks?limit=50 at that size, c=64" "$(field "$tasks" rps)" "req/s" - "" "target ≥ 2000 req/s, p99 < 50 ms; p50 $(field "$tasks" p50_ms) ms, p99 $(field "$tasks" p99_ms) ms"
    row "  task list vs its reads through the store without HTTP (sqlx, 64 tasks)" "$(field "$tasks" rps)" "req/s" "$(field "$lstore" rps)" "(store)" "store p99 $(field "$lstore" p99_ms) ms"
    row "  the store's reads vs raw SQLite, same statements, two threads" "$(field "$lstore" rps)" "pages/s" "$(field "$lraw" rps)" "(raw SQLite)" "raw p99 $(field "$lraw" p99_ms) ms"
    row "  discovery at that size, c=64" "$(field "$disc" rps)" "req/s" - "" "p50 $(field "$disc" p50_ms) ms, p99 $(field "$disc" p99_ms) ms"
    rm -f "$WORK"/start.db*
fi

# --- 4. A login flood (unknown users) and the memory it takes ---------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = logins ]; then
    say "== Logins: 16 clients posting unknown users for ${SECS}s…"
    rm -f "$WORK"/logins.db*
    start_server "$WORK/logins.db"
    before=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    flood=$(wrk_run 16 "$PORT" login_flood.lua)
    sleep 1
    hwm=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$SERVER_PID/status")
    ok=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")
    stop_server
    say "   $flood; VmHWM ${before} MB before, ${hwm} MB after; /health $ok"
    row "Login flood, 16 clients, unknown users (401 or 429 each)" "$(field "$flood" rps)" "req/s" - "" "p99 $(field "$flood" p99_ms) ms; /health after: $ok"
    row "  peak RSS (VmHWM) during the flood" "$hwm" "MB" - "" "target < 300 MB (2.66 GB before the login gate); ${before} MB at start"
    rm -f "$WORK"/logins.db*
fi

# --- 5. Simulated migrations: the cost of many running, and of their transitions --------
if [ "$ONLY" = all ] || [ "$ONLY" = simulation ]; then
    say "== Simulation: $SIM_RUNS migrations copying at the real-time clock…"
    rm -f "$WORK"/sim.db*
    "$PERF" sim-seed "$WORK/sim.db" "$SIM_RUNS" copying | grep '^RESULT' | while read -r l; do say "   $l"; done
    start_server "$WORK/sim.db"
    sleep 1
    hz=$(getconf CLK_TCK)
    t0=$("$PERF" cpu-ticks "$SERVER_PID")
    sleep 10
    t1=$("$PERF" cpu-ticks "$SERVER_PID")
    cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN{printf "%.2f", 100 * (b - a) / hz / 10}')
    stop_server
    say "   CPU over 10 s: $((t1 - t0)) ticks at $hz/s = $cpu % of one core"
    row "Simulation: $SIM_RUNS migrations copying, real-time clock (CPU, 10 s)" "$cpu" "% of a core" 100 "(one core)" "target < 5 %: progress is computed when read"

    say "== Simulation: $SIM_RUNS migrations with every transition overdue…"
    rm -f "$WORK"/sim.db*
    "$PERF" sim-seed "$WORK/sim.db" "$SIM_RUNS" due | grep '^RESULT' | while read -r l; do say "   $l"; done
    start_server "$WORK/sim.db"
    drained=$("$PERF" sim-wait "$WORK/sim.db" 300000 | grep '^RESULT')
    stop_server
    secs=$(field "$drained" seconds)
    say "   all runs finished after ${secs}s (from /ready)"
    row "  transitions committed (7 subtasks × $SIM_RUNS runs, from /ready)" \
        "$(awk -v n="$SIM_RUNS" -v s="$secs" 'BEGIN{printf "%.0f", 7 * n / s}')" "subtasks/s" - "" \
        "$(awk -v n="$SIM_RUNS" -v s="$secs" 'BEGIN{printf "%.0f runs/s, %.0f µs a subtask", n / s, 1e6 * s / (7 * n)}')"
    rm -f "$WORK"/sim.db*
fi

# --- 6. Console pages at size ------------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = console ]; then
    say "== Console: every page at $START_TASKS tasks + $START_INSTANCES instances, one client…"
    rm -f "$WORK"/console.db*
    "$PERF" startup-seed "$WORK/console.db" "$START_TASKS" "$START_INSTANCES" >/dev/null
    start_server "$WORK/console.db" CLOUDTWIN_AUTH__REGISTRY=off
    tok=$(token)
    # Some journal to page through and filter.
    wrk_run 8 "$PORT" get.lua "/v3/tasks?limit=50" "$tok" >/dev/null
    # The newest task, and the cursor of the last page (the 51st oldest task).
    read -r task last < <(python3 - "$WORK/console.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
newest = c.execute("SELECT id FROM tasks ORDER BY create_date DESC, id LIMIT 1").fetchone()[0]
d, i = c.execute("SELECT create_date, id FROM tasks ORDER BY create_date, id DESC LIMIT 1 OFFSET 50").fetchone()
print(newest, f"{d}~{i}")
PY
)
    svc=bench-svc-$(printf '%05d' $((START_INSTANCES / 5 - 1)))
    cut=$(printf '%05d' $((START_INSTANCES / 5 - 51)))
    tenant="domain=default&project=default"
    pages=(
        "overview|"
        "tasks, first page|sms/tasks"
        "tasks, last page|sms/tasks?after=$last"
        "tasks, a state no task has (whole project scanned)|sms/tasks?state=SYNC_FAIL"
        "tasks, a name no task has (whole project scanned)|sms/tasks?name=nothing"
        "task detail|sms/tasks/$task"
        "source servers|sms/sources"
        "templates|sms/templates"
        "migration projects|sms/migprojects"
        "registry tenants and apps|registry"
        "services, first page|registry/services?$tenant"
        "services, last page|registry/services?$tenant&after=svc-$cut%1F1.0.0%1Fbench-svc-$cut"
        "services, name filter|registry/services?$tenant&name=svc-1999"
        "service detail with instances|registry/service?$tenant&id=$svc"
        "dependency graph|registry/graph?$tenant&app=bench"
        "identity|identity"
        "journal|journal"
        "journal, a path nothing has (all scanned)|journal?path=nothing"
        "faults|faults"
        "admin|admin"
        "find an instance by id (all scanned)|find?id=bench-ins-00000-0"
    )
    for entry in "${pages[@]}"; do
        name=${entry%%|*}
        path=${entry#*|}
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/_cloudtwin/console/$path")
        r=$(SECS=2 wrk_run 1 "$PORT" get.lua "/_cloudtwin/console/$path")
        # find answers 303 to the page it found.
        [[ $path == find* ]] || check_clean "console $name" "$r"
        row "Console: $name, c=1 (HTTP $code)" "$(field "$r" p99_ms)" "ms p99" 100 "ms (issue)" "p50 $(field "$r" p50_ms) ms, $(field "$r" rps) req/s"
    done
    stop_server
    rm -f "$WORK"/console.db*
fi

say "load after: $(cut -d' ' -f1-3 /proc/loadavg) (this run's own load included); $(others)"
echo
{
    printf 'figure\tvalue\tceiling\tratio\tnote\n'
    cat "$RESULTS"
} | column -t -s $'\t'
echo
echo "(details: $LOG)"
