#!/usr/bin/env bash
# Figure 12: restart (load) time of 1,000,000 keys from an RDB snapshot, Vigil beside Redis.
#
# A store is filled with 1,000,000 keys (DEBUG POPULATE 1000000 key 16) and writes its snapshot
# with DEBUG RELOAD (the same command on both sides: save, then load back); it is stopped
# (SIGTERM; save "" so nothing more is written) and started again on the same folder with the
# same settings. The clock starts just before the new process is spawned and stops at the first
# PING answered +PONG (while loading both answer -LOADING; polled every 5 ms). The snapshot sizes
# are reported beside the times (each side loads its own file).
# Target: Vigil <= 0.8x Redis.
# Usage: scripts/bench/fig12-restart.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig12-restart 3 1 "$@"

KEYS=1000000
[ "$BENCH_QUICK" = 1 ] && KEYS=200000

bench_metric restart_ms "restart with $KEYS keys in the RDB: spawn -> first PONG" ms lower "<= 0.8x"
bench_metric rdb_mb "size of the snapshot loaded" MB lower

bench_store_na

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 ports
    ports=$(bench_ports 1) || return 1
    local port=$ports
    if ! bench_start_store "$side" node "$port" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        bench_teardown
        return 0
    fi
    bench_log "$side trial $trial: filling with $KEYS keys, writing the snapshot"
    if ! bench_py fill "$port" "$KEYS" 16 populate 2>"$BENCH_TMP/err" ||
        [ "$(bench_cli "$port" DEBUG RELOAD)" != OK ]; then
        bench_fail "$side" '*' "fill or DEBUG RELOAD failed: $(cat "$BENCH_TMP/err")"
        bench_teardown
        return 0
    fi
    bench_stop "$LAST_PID"
    local dir rdb
    dir=$(bench_node_dir "$side" node)
    rdb=$(stat -c %s "$dir/dump.rdb")
    local t0=$EPOCHREALTIME
    bench_spawn_store "$side" node "$port" || { bench_teardown; return 0; }
    local pid=$LAST_PID
    if ! bench_py wait-ping "$port" 120 "$pid" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "restart: $(cat "$BENCH_TMP/err")"
        bench_teardown
        return 0
    fi
    local ms mb
    ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", (b - a) * 1000}')
    mb=$(awk -v s="$rdb" 'BEGIN {printf "%.1f", s / 1048576}')
    local keys
    keys=$(bench_cli "$port" DBSIZE)
    if [ "$keys" != "$KEYS" ]; then
        bench_fail "$side" '*' "restart loaded $keys keys, not $KEYS"
        bench_teardown
        return 0
    fi
    bench_record restart_ms "$side" "$trial" "$ms"
    bench_record rdb_mb "$side" "$trial" "$mb"
    bench_log "$side trial $trial: restart $ms ms ($mb MB snapshot)"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 12: restart (load) of $KEYS keys from an RDB snapshot"
