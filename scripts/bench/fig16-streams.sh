#!/usr/bin/env bash
# Figure 16: streams, Vigil beside Redis.
#
#   redis-benchmark -c 50 -n 1000000 -P 16 XADD bench:s * name alice n 42
#
# fills a stream with 1,000,000 entries of two small fields: the requests per second, then
# used_memory per entry ((after - empty) / entries, INFO memory). Then a group at the start and
#
#   redis-benchmark -c 50 -n 200000 -P 16 -r 50 XREADGROUP GROUP g c__rand_int__ COUNT 1 STREAMS bench:s >
#
# (each read delivers one entry to one of 50 consumers and makes it pending): requests per second.
# Targets: used_memory per entry <= 0.8x Redis; XADD -P 16 and XREADGROUP rps >= 1.0x.
# Usage: scripts/bench/fig16-streams.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig16-streams 1 1 "$@"

ENTRIES=1000000
READS=200000
[ "$BENCH_QUICK" = 1 ] && ENTRIES=100000 READS=50000

bench_metric xadd.rps "XADD -P 16 (2 small fields)" "requests/s" higher ">= 1.0x" "requests/s"
bench_metric xreadgroup.rps "XREADGROUP COUNT 1 -P 16" "requests/s" higher ">= 1.0x" "requests/s"
bench_metric used_per_entry "used_memory per entry (after - empty) / $ENTRIES" bytes lower \
    "<= 0.8x" "memory"
bench_metric used_mb "used_memory with $ENTRIES entries" MB lower "" "memory"

bench_store_na

used_bytes() { bench_py info "$1" used_memory; }

# bench_rps PORT N ARGS...: one redis-benchmark run; prints its requests per second.
bench_rps() {
    local port=$1 n=$2 out="$BENCH_TMP/bench.csv"
    shift 2
    bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 \
        -n "$n" -P 16 --csv "$@" || return 1
    tail -n 1 "$out" | cut -d'"' -f4
}

run_side() {
    local side=$1 trial=$2 port u0 u1 rps
    port=$(bench_ports 1) || return 1
    bench_start_store "$side" master "$port" 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    u0=$(used_bytes "$port") || { bench_fail "$side" "*" "INFO failed"; bench_teardown; return 0; }
    if rps=$(bench_rps "$port" "$ENTRIES" XADD bench:s '*' name alice n 42); then
        bench_record xadd.rps "$side" "$trial" "$rps"
        bench_log "$side trial $trial: XADD $rps rps"
    else
        bench_fail "$side" "*" "redis-benchmark XADD failed"; bench_teardown; return 0
    fi
    u1=$(used_bytes "$port")
    bench_record used_per_entry "$side" "$trial" \
        "$(awk -v a="$u1" -v b="$u0" -v n="$ENTRIES" 'BEGIN {printf "%.1f", (a - b) / n}')"
    bench_record used_mb "$side" "$trial" "$(awk -v a="$u1" 'BEGIN {printf "%.1f", a / 1048576}')"
    bench_cli "$port" XGROUP CREATE bench:s g 0 >/dev/null
    if rps=$(bench_rps "$port" "$READS" -r 50 XREADGROUP GROUP g c__rand_int__ COUNT 1 STREAMS \
        bench:s '>'); then
        bench_record xreadgroup.rps "$side" "$trial" "$rps"
        bench_log "$side trial $trial: XREADGROUP $rps rps"
    else
        bench_fail "$side" "xreadgroup.*" "redis-benchmark XREADGROUP failed"
    fi
    bench_teardown
}

bench_trials run_side

bench_finish "Figure 16: streams (redis-benchmark -c 50 -P 16: XADD x $ENTRIES, XREADGROUP x $READS)"
