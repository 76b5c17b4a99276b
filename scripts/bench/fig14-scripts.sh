#!/usr/bin/env bash
# Figure 14: Lua scripts, Vigil beside Redis.
#
#   redis-benchmark -c 50 -n 100000 -r 1000 -P 1 and -P 16 EVALSHA <sha> 1 <key> ...
#
# for a sliding-window rate limiter (ZREMRANGEBYSCORE + ZADD + ZCARD + EXPIRE) and a lock release
# (GET + compare + DEL), each loaded with SCRIPT LOAD first: requests per second and the server's
# CPU time per request (utime + stime from /proc/<pid>/stat over the run, microseconds). Then
# SCRIPT LOAD of 10,000 distinct scripts: the time it takes (one pipelined client) and the memory
# it adds (Redis: used_memory + used_memory_lua, since its Lua heap is outside used_memory).
# Then the instructions each server executes per EVALSHA and FCALL (valgrind's callgrind, counting
# only while the workload runs: redis-benchmark -c 10 -P 16, INSTR_REQUESTS requests), a figure
# that a loaded machine does not disturb, where requests/s on two shared cores can swing 3x.
# Targets: EVALSHA rps >= 1.0x Redis and CPU per request <= 1.0x; instructions <= 1.0x;
# SCRIPT LOAD: reported.
# Usage: scripts/bench/fig14-scripts.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig14-scripts 1 1 "$@"

REQUESTS=100000
LOADS=10000
[ "$BENCH_QUICK" = 1 ] && REQUESTS=20000 LOADS=2000
REQUESTS=${BENCH_REQUESTS:-$REQUESTS}
INSTR_REQUESTS=5000
[ "$BENCH_QUICK" = 1 ] && INSTR_REQUESTS=2000
PIPES=(1 16)
RATE_LIMIT="local key = KEYS[1] local now = tonumber(ARGV[1]) \
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 1000) redis.call('ZADD', key, now, ARGV[2]) \
local n = redis.call('ZCARD', key) redis.call('EXPIRE', key, 10) return n"
LOCK_RELEASE="if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) \
else return 0 end"
LOCK_RELEASE_F="if redis.call('GET', keys[1]) == args[1] then return redis.call('DEL', keys[1]) \
else return 0 end"

for p in "${PIPES[@]}"; do
    for t in ratelimit lock; do
        bench_metric "P$p.$t.rps" "EVALSHA $t -P $p" "requests/s" higher ">= 1.0x" "requests/s, -P $p"
        bench_metric "P$p.$t.cpu_us" "EVALSHA $t -P $p, server CPU per request" us lower \
            "<= 1.0x" "server CPU per request, us"
    done
done
for t in ratelimit lock fcall; do
    bench_metric "instr.$t" "instructions per request, $t (callgrind)" instructions lower \
        "<= 1.0x" "instructions per request"
done
bench_metric load.ms "SCRIPT LOAD of $LOADS scripts" ms lower "" "SCRIPT LOAD"
bench_metric load.bytes_per_script "used_memory per cached script" bytes lower "" "SCRIPT LOAD"

bench_store_na

# run_evalsha SIDE TRIAL PORT PID NAME SHA P ARGS...: one redis-benchmark run, recorded.
run_evalsha() {
    local side=$1 trial=$2 port=$3 pid=$4 name=$5 sha=$6 p=$7 out="$BENCH_TMP/bench.csv"
    shift 7
    local before after rps hz
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$pid")
    if ! bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 \
        -n "$REQUESTS" -r 1000 -P "$p" --csv EVALSHA "$sha" "$@"; then
        bench_fail "$side" "P$p.$name.*" "redis-benchmark: $(tail -n 2 "$out.err" | tr '\n' ' ')"
        return 0
    fi
    after=$(cpu_ticks "$pid")
    rps=$(tail -n 1 "$out" | cut -d'"' -f4)
    bench_record "P$p.$name.rps" "$side" "$trial" "$rps"
    bench_record "P$p.$name.cpu_us" "$side" "$trial" \
        "$(awk -v d=$((after - before)) -v hz="$hz" -v n="$REQUESTS" 'BEGIN {printf "%.2f", d / hz * 1e6 / n}')"
    bench_log "$side trial $trial: EVALSHA $name -P $p: $rps rps"
}

# script_bytes SIDE PORT: the memory scripts count against: used_memory on Vigil (the Lua state
# allocates through the counted allocator); used_memory + used_memory_lua on Redis (its Lua state
# allocates outside zmalloc, so used_memory leaves it out).
script_bytes() {
    local fields='/^used_memory:/'
    [ "$(bench_kind "$1")" = redis ] && fields='/^used_memory:|^used_memory_lua:/'
    bench_cli "$2" INFO memory | tr -d '\r' | awk -F: "$fields"' {n += $2} END {print n + 0}'
}

# load_scripts SIDE PORT: SCRIPT LOAD of LOADS distinct scripts through one pipelined redis-cli;
# prints "milliseconds bytes-per-script".
load_scripts() {
    local side=$1 port=$2 before after start end
    before=$(script_bytes "$side" "$port")
    start=$EPOCHREALTIME
    for ((i = 0; i < LOADS; i++)); do
        printf 'SCRIPT LOAD "return %d + redis.call(\\"DBSIZE\\")"\n' "$i"
    done | timeout 300 "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe >/dev/null 2>&1 || return 1
    end=$EPOCHREALTIME
    after=$(script_bytes "$side" "$port")
    awk -v s="$start" -v e="$end" -v b="$before" -v a="$after" -v n="$LOADS" \
        'BEGIN {printf "%.1f %.0f\n", (e - s) * 1000, (a - b) / n}'
}

run_instr() {
    local side=$1 trial=$2 port pid s1 s2
    command -v valgrind >/dev/null || { bench_na "instr.*" "$side" "valgrind not installed"; return 0; }
    port=$(bench_ports 1) || return 1
    bench_start_store_callgrind "$side" instr "$port" 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "instr.*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    pid=$LAST_PID
    s1=$(bench_cli "$port" SCRIPT LOAD "$RATE_LIMIT") && s2=$(bench_cli "$port" SCRIPT LOAD "$LOCK_RELEASE") &&
        bench_cli "$port" FUNCTION LOAD "#!lua name=bench
redis.register_function('release', function(keys, args) $LOCK_RELEASE_F end)" >/dev/null || {
        bench_fail "$side" "instr.*" "loading the scripts failed"; bench_teardown; return 0; }
    bench_instr_of "$side" "$trial" "$port" "$pid" instr.ratelimit EVALSHA "$s1" 1 \
        rl:__rand_int__ __rand_int__ m__rand_int__
    bench_instr_of "$side" "$trial" "$port" "$pid" instr.lock EVALSHA "$s2" 1 lock:__rand_int__ \
        token
    bench_instr_of "$side" "$trial" "$port" "$pid" instr.fcall FCALL release 1 lock:__rand_int__ \
        token
    bench_teardown
}

run_side() {
    local side=$1 trial=$2 port pid p s1 s2 load
    port=$(bench_ports 1) || return 1
    bench_start_store "$side" master "$port" 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    pid=$LAST_PID
    s1=$(bench_cli "$port" SCRIPT LOAD "$RATE_LIMIT") && s2=$(bench_cli "$port" SCRIPT LOAD "$LOCK_RELEASE") || {
        bench_fail "$side" "P*" "SCRIPT LOAD failed: $s1 $s2"; bench_teardown; return 0; }
    for p in "${PIPES[@]}"; do
        run_evalsha "$side" "$trial" "$port" "$pid" ratelimit "$s1" "$p" 1 rl:__rand_int__ \
            __rand_int__ m__rand_int__
        run_evalsha "$side" "$trial" "$port" "$pid" lock "$s2" "$p" 1 lock:__rand_int__ token
    done
    if load=$(load_scripts "$side" "$port"); then
        bench_record load.ms "$side" "$trial" "${load% *}"
        bench_record load.bytes_per_script "$side" "$trial" "${load#* }"
    else
        bench_fail "$side" "load.*" "SCRIPT LOAD pipeline failed"
    fi
    bench_teardown
    run_instr "$side" "$trial"
}

bench_trials run_side

bench_finish "Figure 14: Lua scripts (redis-benchmark -c 50 -n $REQUESTS EVALSHA; SCRIPT LOAD x $LOADS)"
