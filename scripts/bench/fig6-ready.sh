#!/usr/bin/env bash
# Figure 6: deployment ready time, Vigil beside Redis.
#
# The clock starts, then 3 nodes (a master and 2 replicas started with replicaof) and 3 sentinels
# (quorum 2, down-after 1000 ms) are started at once, as a deployment script or an init system
# would; it stops when every sentinel's SENTINEL MASTER mymaster shows num-slaves 2 and
# num-other-sentinels 2 (polled every 2 ms). Also recorded: the time from the sentinels' start.
# Target: Vigil <= 1000 ms.
# Usage: scripts/bench/fig6-ready.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig6-ready 3 1 "$@"

bench_metric ready_ms "start 3 nodes + 3 sentinels -> every sentinel knows 2 replicas, 2 peers" \
    ms lower "<= 1000 ms"
bench_metric discovery_ms "the same, from the sentinels' start" ms lower

bench_store_na sentinel

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 ports i
    ports=$(bench_ports 6) || return 1
    # shellcheck disable=SC2206
    local p=($ports)
    bench_log "$side trial $trial: starting 3 nodes and 3 sentinels"
    local t0=$EPOCHREALTIME
    bench_spawn_store "$side" master "${p[0]}" || return 1
    for i in 1 2; do
        bench_spawn_store "$side" "replica$i" "${p[$i]}" --replicaof "127.0.0.1 ${p[0]}" || return 1
    done
    local ts=$EPOCHREALTIME
    for i in 0 1 2; do
        bench_spawn_sentinel "$side" "sentinel$((i + 1))" "${p[$((i + 3))]}" "${p[0]}" || return 1
    done
    local out="$BENCH_TMP/ready.out"
    if ! bench_run_helper "$out" "${BENCH_PY_CMD[@]}" ready "$t0" 60 2 2 "${p[@]:3:3}"; then
        bench_fail "$side" '*' "$(cat "$out.err")"
        [ "$side" = vigil ] && VIGIL_NA="discovery failed in trial $trial"
        bench_teardown
        return 0
    fi
    local ms from_s
    ms=$(awk '$1 == "ready_ms" {print $2}' "$out")
    from_s=$(awk -v ms="$ms" -v a="$t0" -v b="$ts" 'BEGIN {printf "%.1f", ms - (b - a) * 1000}')
    bench_record ready_ms "$side" "$trial" "$ms"
    bench_record discovery_ms "$side" "$trial" "$from_s"
    bench_log "$side trial $trial: ready after $ms ms ($from_s ms after the sentinels started)"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 6: deployment ready time, 3 nodes + 3 sentinels"
