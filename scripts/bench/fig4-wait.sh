#!/usr/bin/env bash
# Figure 4: SET + WAIT round trips on a master with 2 replicas, Vigil beside Redis.
#
# bin/bench-waitbench (scripts/bench/waitbench.c, hiredis) sends `SET k v` and `WAIT N 1000`
# pipelined and times the pair until WAIT answers, one pair at a time, for N = 1 and N = 2.
# Median and p99 in microseconds; a WAIT that answers fewer than N replicas is counted and noted.
# Target: WAIT 1 median no slower than Redis.
# Usage: scripts/bench/fig4-wait.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig4-wait 3 1 "$@"

COUNT=10000
[ "$BENCH_QUICK" = 1 ] && COUNT=2000
WAITBENCH="$BENCH_BIN_DIR/bench-waitbench"
[ -x "$WAITBENCH" ] || { echo "$0: $WAITBENCH is missing: make $WAITBENCH (or make bench)" >&2; exit 2; }

for n in 1 2; do
    t=""
    [ "$n" = 1 ] && t="<= 1.0x"
    bench_metric "wait$n.median_us" "SET + WAIT $n 1000, median" us lower "$t"
    bench_metric "wait$n.p99_us" "SET + WAIT $n 1000, p99" us lower
done

bench_store_na

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 n
    if ! bench_deploy_nodes "$side" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "replication: $(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        [ "$side" = vigil ] && VIGIL_NA="replication failed in trial $trial"
        bench_teardown
        return 0
    fi
    for n in 1 2; do
        local out="$BENCH_TMP/wait$n.out"
        bench_log "$side trial $trial: $COUNT x SET + WAIT $n 1000"
        if ! bench_run_helper "$out" "$WAITBENCH" --port "${DEP_PORTS[0]}" --replicas "$n" \
            --count "$COUNT" --warmup 500 --timeout-ms 1000; then
            bench_fail "$side" "wait$n.*" "$(cat "$out.err")"
            continue
        fi
        local med p99 short note=""
        med=$(awk '$1 == "median_us" {print $2}' "$out")
        p99=$(awk '$1 == "p99_us" {print $2}' "$out")
        short=$(awk '$1 == "short" {print $2}' "$out")
        [ "$short" != 0 ] && note="$short of $COUNT WAITs answered fewer than $n replicas"
        bench_record "wait$n.median_us" "$side" "$trial" "$med" "$note"
        bench_record "wait$n.p99_us" "$side" "$trial" "$p99" "$note"
        bench_log "$side trial $trial: WAIT $n median $med us, p99 $p99 us${note:+ ($note)}"
    done
    bench_teardown
}

bench_trials measure

bench_finish "Figure 4: SET + WAIT round trips, master + 2 replicas ($COUNT pairs)"
