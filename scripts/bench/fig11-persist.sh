#!/usr/bin/env bash
# Figure 11: BGSAVE of 1,000,000 keys, Vigil beside Redis (same settings: rdbcompression yes,
# rdbchecksum yes, no save points so only our BGSAVEs run).
#
# Each side gets `DEBUG POPULATE 1000000 key 16`, then per trial two background saves:
#   idle    BGSAVE alone: time from sending it to rdb_bgsave_in_progress:0 (INFO polled every
#           2 ms; rdb_last_bgsave_time_sec is whole seconds), and the size of dump.rdb;
#   writer  BGSAVE while redis-benchmark overwrites random keys of the same key space
#           (-c 20 -P 16 SET): the same time, and rdb_last_cow_size, the memory the child no
#           longer shared with the server when it finished.
# Target: BGSAVE time no slower than Redis (ratio <= 1.0). Not part of `make test`.
# Usage: scripts/bench/fig11-persist.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig11-persist 3 1 "$@"

KEYS=1000000
[ "$BENCH_QUICK" = 1 ] && KEYS=100000

bench_metric idle_ms "BGSAVE of $KEYS keys: time to done" ms lower "<= 1.0x" "ms"
bench_metric size_mb "dump.rdb size" MB lower "" "MB"
bench_metric writer_ms "BGSAVE under a concurrent writer: time to done" ms lower "" "ms"
bench_metric cow_mb "rdb_last_cow_size under the writer" MB lower "" "MB (copy-on-write)"

bench_store_na

# bgsave_once SIDE TRIAL PORT MS_METRIC [COW_METRIC]
bgsave_once() {
    local side=$1 trial=$2 port=$3 ms_metric=$4 cow_metric=${5:-} out="$BENCH_TMP/bgsave.out"
    if ! bench_py bgsave "$port" 300 >"$out" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" "$ms_metric" "$(cat "$BENCH_TMP/err")"
        return 1
    fi
    local ms status cow
    read -r ms status cow <"$out"
    if [ "$status" != ok ]; then
        bench_fail "$side" "$ms_metric" "BGSAVE status $status"
        return 1
    fi
    bench_record "$ms_metric" "$side" "$trial" "$ms"
    [ -n "$cow_metric" ] && bench_record "$cow_metric" "$side" "$trial" \
        "$(awk -v b="$cow" 'BEGIN { printf "%.1f", b / 1048576 }')"
    bench_log "$side trial $trial: $ms_metric ${ms} ms, cow $cow bytes"
}

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 port dir
    port=$(bench_ports 1) || return 1
    if ! bench_start_store "$side" master "$port" --save "" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        return 0
    fi
    dir=$(bench_node_dir "$side" master)
    if ! bench_py fill "$port" "$KEYS" 16 populate 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "fill: $(cat "$BENCH_TMP/err")"
        bench_teardown
        return 0
    fi
    if bgsave_once "$side" "$trial" "$port" idle_ms; then
        bench_record size_mb "$side" "$trial" \
            "$(awk -v b="$(stat -c %s "$dir/dump.rdb")" 'BEGIN { printf "%.2f", b / 1048576 }')"
    fi
    bench_spawn "$BENCH_TMP/writer.log" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -t set \
        -r "$KEYS" -n 100000000 -c 20 -P 16 -d 16 -q
    local writer=$LAST_PID
    bgsave_once "$side" "$trial" "$port" writer_ms cow_mb
    bench_stop "$writer"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 11: BGSAVE of $KEYS keys (time to done, file size, copy-on-write)"
