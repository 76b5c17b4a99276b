#!/usr/bin/env bash
# Figure 10: memory given back by expiring keys, Vigil beside Redis.
#
# Each side runs one empty store; expiry.py writes 1,000,000 keys `SET exp:<i> <16 bytes> PX ttl`
# with TTLs drawn uniformly from 1-10 s (seeded: the same on both sides), pipelined, then nobody
# touches them: used_memory (INFO memory) and DBSIZE are sampled every 250 ms for 20 s from the
# start of the fill. Reported: the time from the start of the fill until 50%, 90% and 99% of the
# memory the keys held (first sample after the fill minus the empty server) is given back, the
# fill time, and what is left at the end. Both curves go to results/fig10-expiry-series.csv;
# `make bench-plot` draws them (plots/fig10-expiry-series.png).
# 20 s rather than 15: Redis 7.0 gives back its last 1% (the key table shrinking) ~14 s in.
# Target: reclaimed within about the same time as Redis.
# Usage: scripts/bench/fig10-expiry.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig10-expiry 3 1 "$@"

KEYS=1000000
TTL_MIN_MS=1000
TTL_MAX_MS=10000
DURATION_S=20
INTERVAL_MS=250
if [ "$BENCH_QUICK" = 1 ]; then
    KEYS=100000
    TTL_MAX_MS=3000
    DURATION_S=6
fi
SERIES="$BENCH_RESULTS/fig10-expiry-series.csv"
echo "side,trial,t_ms,used_memory,dbsize,reclaimed_pct" >"$SERIES"
EXPIRY=("$BENCH_PY" "$BENCH_DIR/expiry.py")
RUN="$KEYS keys, TTL $((TTL_MIN_MS / 1000))-$((TTL_MAX_MS / 1000)) s"

for share in 50 90 99; do
    bench_metric "t$share" "time to reclaim $share% of the memory ($RUN)" ms lower \
        "about the same as Redis" "time to reclaim"
done
bench_metric fill_ms "fill time (the TTLs run from its start)" ms lower "" "fill"
bench_metric full_mb "used_memory after the fill" MB lower "" "used_memory"
bench_metric end_mb "used_memory after ${DURATION_S} s" MB lower "" "used_memory"
bench_metric end_keys "DBSIZE after ${DURATION_S} s" keys lower "" "keys left"

bench_store_na

mb() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1048576}'; }

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 port
    port=$(bench_ports 1) || return 1
    if ! bench_start_store "$side" expiry "$port" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        return 0
    fi
    local out="$BENCH_TMP/expiry-$side-$trial"
    bench_log "$side trial $trial: $RUN, sampling every $INTERVAL_MS ms for $DURATION_S s"
    if ! bench_run_helper "$out" "${EXPIRY[@]}" run "$port" "$KEYS" "$TTL_MIN_MS" "$TTL_MAX_MS" \
        "$trial" "$DURATION_S" "$INTERVAL_MS" "$SERIES" "$side" "$trial"; then
        bench_fail "$side" '*' "expiry.py: $(tail -n 2 "$out.err" | tr '\n' ' ')"
        bench_teardown
        return 0
    fi
    local -A r
    while read -r k v; do r[$k]=$v; done <"$out"
    local share
    for share in 50 90 99; do
        if [ "${r[t${share}_ms]}" = - ]; then
            bench_record "t$share" "$side" "$trial" "" \
                "not reached in $DURATION_S s (${r[end_pct]}% reclaimed at the end)"
        else
            bench_record "t$share" "$side" "$trial" "${r[t${share}_ms]}"
        fi
    done
    bench_record fill_ms "$side" "$trial" "${r[fill_ms]}"
    bench_record full_mb "$side" "$trial" "$(mb "${r[full_used]}")"
    bench_record end_mb "$side" "$trial" "$(mb "${r[end_used]}")"
    bench_record end_keys "$side" "$trial" "${r[end_dbsize]}"
    bench_log "$side trial $trial: t50=${r[t50_ms]} t90=${r[t90_ms]} t99=${r[t99_ms]} ms," \
        "fill ${r[fill_ms]} ms, $(mb "${r[full_used]}") -> $(mb "${r[end_used]}") MB," \
        "${r[end_dbsize]} keys left"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 10: memory reclaimed from expiring keys ($RUN)"
