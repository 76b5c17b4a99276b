#!/usr/bin/env bash
# Figure 7: client outage through a kill -9 failover, as python3-redis's Sentinel client sees it,
# Vigil beside Redis.
#
# On a fresh, fully discovered deployment (3 nodes, 3 sentinels, quorum 2, down-after 1000 ms),
# a redis.sentinel.Sentinel client (Debian's /usr/bin/python3, socket timeouts 200 ms) writes
# through master_for("mymaster"); the master is killed with kill -9 and the client retries every
# millisecond. The figure is the time from the kill to its first accepted write.
# Usage: scripts/bench/fig7-outage.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig7-outage 3 1 "$@"

bench_metric outage_ms "python3-redis Sentinel client: kill -9 of the master -> first write accepted" \
    ms lower

bench_store_na sentinel

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2
    if ! bench_deploy_nodes "$side" 2>"$BENCH_TMP/err" ||
        ! bench_deploy_sentinels "$side" 2>>"$BENCH_TMP/err" ||
        ! bench_wait_discovered 60 2>>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "deployment: $(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        [ "$side" = vigil ] && VIGIL_NA="deployment failed in trial $trial"
        bench_teardown
        return 0
    fi
    bench_log "$side trial $trial: kill -9 of the master under the python3-redis Sentinel client"
    local out="$BENCH_TMP/outage.out"
    if ! bench_run_helper "$out" "${BENCH_PY_CMD[@]}" outage mymaster "${DEP_PIDS[0]}" 30 \
        "${SEN_PORTS[@]}"; then
        bench_fail "$side" '*' "$(tail -n 2 "$out.err" | tr '\n' ' ')"
        bench_teardown
        return 0
    fi
    local ms
    ms=$(awk '$1 == "outage_ms" {print $2}' "$out")
    bench_record outage_ms "$side" "$trial" "$ms"
    bench_log "$side trial $trial: first write $ms ms after the kill ($(tail -n 1 "$out.err"))"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 7: client outage through a kill -9 failover (python3-redis Sentinel)"
