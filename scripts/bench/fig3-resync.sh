#!/usr/bin/env bash
# Figure 3: full resync of 1,000,000 keys into an empty replica, Vigil beside Redis.
#
# A master holds 1,000,000 keys (DEBUG POPULATE 1000000 key 16, or a client fill if vigil-store has
# no DEBUG POPULATE yet); an empty server is started beside it; the clock starts when REPLICAOF is
# sent to it and stops when its INFO says master_link_status:up and db0 holds every key (polled
# every 2 ms). Both masters: repl-diskless-sync yes, repl-diskless-sync-delay 0. Each
# replica loads the snapshot its own default way (Redis 7.0: repl-diskless-load disabled, i.e.
# through a file in its dir, which is on the same disk for both).
# Target: no slower than Redis.
# Usage: scripts/bench/fig3-resync.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig3-resync 3 1 "$@"

KEYS=1000000
FILL=${BENCH_FILL:-populate}   # populate | pipe

bench_metric resync_ms "full resync of $KEYS keys: REPLICAOF -> link up, all keys" ms lower "<= 1.0x"

bench_store_na

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 ports
    ports=$(bench_ports 2) || return 1
    # shellcheck disable=SC2206
    local p=($ports)
    if ! bench_start_store "$side" master "${p[0]}" 2>"$BENCH_TMP/err" ||
        ! bench_start_store "$side" replica "${p[1]}" 2>>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        bench_teardown
        return 0
    fi
    bench_log "$side trial $trial: filling the master with $KEYS keys ($FILL)"
    if ! bench_py fill "${p[0]}" "$KEYS" 16 "$FILL" 2>"$BENCH_TMP/err"; then
        if [ "$side" = vigil ] && [ "$FILL" = populate ] && [ "$trial" = 1 ]; then
            bench_log "vigil: DEBUG POPULATE failed: both sides are filled by a client from now on"
            FILL=pipe
            bench_cli "${p[0]}" FLUSHALL >/dev/null
            bench_py fill "${p[0]}" "$KEYS" 16 "$FILL" 2>"$BENCH_TMP/err" || {
                bench_fail "$side" '*' "$(cat "$BENCH_TMP/err")"; bench_teardown; return 0; }
        else
            bench_fail "$side" '*' "$(cat "$BENCH_TMP/err")"; bench_teardown; return 0
        fi
    fi
    bench_log "$side trial $trial: REPLICAOF, waiting for link up and $KEYS keys"
    local out="$BENCH_TMP/resync.out"
    if ! bench_run_helper "$out" "${BENCH_PY_CMD[@]}" resync "${p[0]}" "${p[1]}" "$KEYS" 60; then
        bench_fail "$side" '*' "replication: $(cat "$out.err")"
        [ "$side" = vigil ] && VIGIL_NA="replication failed in trial $trial"
        bench_teardown
        return 0
    fi
    local ms
    ms=$(awk '$1 == "resync_ms" {print $2}' "$out")
    bench_record resync_ms "$side" "$trial" "$ms"
    bench_log "$side trial $trial: resync $ms ms"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 3: full resync of $KEYS keys into an empty replica"
