#!/usr/bin/env bash
# Figure 13: the append-only file, Vigil beside Redis, same settings, same kind of folder.
#
#   appendonly yes, appendfsync everysec:  redis-benchmark -c 50 -P 16 -t set   (target >= 1.1x)
#   appendonly yes, appendfsync always:    redis-benchmark -c 50 -P 1  -t set   (target >= 1.0x:
#                                          group commit, one fsync per loop iteration)
#   BGREWRITEAOF of a ~500k-key dataset while a writer runs: fork time (latest_fork_usec) and the
#   child's copy-on-write size (aof_last_cow_size).
# Both stores write to a folder under $BENCH_TMP (the same file system for both sides).
# Usage: scripts/bench/fig13-aof.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig13-aof 1 1 "$@"

REQ_EVERYSEC=1000000
REQ_ALWAYS=100000
KEYS=500000
[ "$BENCH_QUICK" = 1 ] && REQ_EVERYSEC=100000 REQ_ALWAYS=10000 KEYS=50000

bench_metric everysec.rps "SET -P 16, appendfsync everysec" "requests/s" higher ">= 1.1x"
bench_metric always.rps "SET -P 1, appendfsync always" "requests/s" higher ">= 1.0x"
bench_metric rewrite.fork_ms "BGREWRITEAOF under writes: fork time" ms lower ""
bench_metric rewrite.cow_mb "BGREWRITEAOF under writes: copy-on-write" MB lower ""
bench_metric rewrite.time_s "BGREWRITEAOF under writes: duration" s lower ""
bench_store_na

# info_field PORT SECTION FIELD
info_field() { bench_cli "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }

# set_rps OUT: the SET requests/s of redis-benchmark's --csv output.
set_rps() { grep -o '"SET","[0-9.]*' "$1" | cut -d'"' -f4; }

run_bench() {
    local side=$1 trial=$2 port dir out="$BENCH_TMP/bench.csv"
    port=$(bench_ports 1) || return 1
    bench_start_store "$side" aof "$port" --appendonly yes --appendfsync everysec \
        --auto-aof-rewrite-percentage 0 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    local store_pid=$LAST_PID
    bench_log "$side trial $trial: everysec, -P 16, -n $REQ_EVERYSEC"
    if bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 \
        -n "$REQ_EVERYSEC" -t set -P 16 -r 100000 --csv; then
        bench_record everysec.rps "$side" "$trial" "$(set_rps "$out")"
    else
        bench_fail "$side" everysec.rps "redis-benchmark failed"
    fi
    bench_cli "$port" config set appendfsync always >/dev/null
    bench_log "$side trial $trial: always, -P 1, -n $REQ_ALWAYS"
    if bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 \
        -n "$REQ_ALWAYS" -t set -P 1 -r 100000 --csv; then
        bench_record always.rps "$side" "$trial" "$(set_rps "$out")"
    else
        bench_fail "$side" always.rps "redis-benchmark failed"
    fi
    bench_cli "$port" config set appendfsync everysec >/dev/null
    run_rewrite "$side" "$trial" "$port"
    bench_stop "$store_pid"
    dir=$(bench_node_dir "$side" aof)
    bench_log "$side trial $trial: AOF folder $(du -sh "$dir/appendonlydir" | cut -f1)"
}

# run_rewrite SIDE TRIAL PORT: fill KEYS keys, start a writer, BGREWRITEAOF, read the figures.
run_rewrite() {
    local side=$1 trial=$2 port=$3 out="$BENCH_TMP/fill.csv"
    bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 \
        -n "$KEYS" -t set -P 16 -r "$KEYS" -d 100 --csv || true
    bench_spawn "$BENCH_TMP/writer.log" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 10 \
        -n 100000000 -t set -P 4 -r "$KEYS" -d 100 -q
    local writer=$LAST_PID rewrites i
    rewrites=$(info_field "$port" persistence aof_rewrites)
    bench_cli "$port" bgrewriteaof >/dev/null
    for ((i = 0; i < 1200; i++)); do
        [ "$(info_field "$port" persistence aof_rewrite_in_progress)" = 0 ] &&
            [ "$(info_field "$port" persistence aof_rewrites)" != "$rewrites" ] && break
        sleep 0.1
    done
    bench_stop "$writer"
    local fork_us cow status secs
    fork_us=$(info_field "$port" stats latest_fork_usec)
    cow=$(info_field "$port" persistence aof_last_cow_size)
    status=$(info_field "$port" persistence aof_last_bgrewrite_status)
    secs=$(info_field "$port" persistence aof_last_rewrite_time_sec)
    if [ "$status" != ok ] || [ -z "$fork_us" ]; then
        bench_fail "$side" "rewrite.*" "rewrite status '$status'"
        return 0
    fi
    bench_record rewrite.fork_ms "$side" "$trial" "$(awk "BEGIN {printf \"%.2f\", $fork_us / 1000}")"
    bench_record rewrite.cow_mb "$side" "$trial" "$(awk "BEGIN {printf \"%.2f\", $cow / 1048576}")"
    bench_record rewrite.time_s "$side" "$trial" "$secs"
    bench_log "$side trial $trial: fork ${fork_us} us, cow ${cow} B, ${secs} s"
}

bench_trials run_bench

bench_finish "Figure 13: append-only file (redis-benchmark -c 50 SET; BGREWRITEAOF under writes)"
