#!/usr/bin/env bash
# Figure 5: failover times, Vigil beside Redis, on 3 nodes (master + 2 replicas) and 3 sentinels
# (quorum 2, down-after 1000 ms, failover-timeout 10000 ms, parallel-syncs 1).
#
# Every trial starts a fresh deployment, waits until every sentinel knows 2 replicas and 2 peers,
# then bin/bench-failpoll (scripts/bench/failpoll.c) triggers the failover and polls every
# millisecond: every sentinel's GET-MASTER-ADDR-BY-NAME, a SET on every node but the old master,
# +switch-master on every sentinel. Three kinds:
#   kill        kill -9 of the master
#   manual      SENTINEL FAILOVER mymaster, with a concurrent writer (write pause, acked writes lost)
#   switchover  Vigil's lossless switchover, POST /v1/masters/mymaster/switchover on a sentinel's
#               HTTP port, with the same writer. Redis has no equivalent: its column shows its
#               nearest, SENTINEL FAILOVER (the manual figures), and the table says so.
# Targets: kill -9 -> all sentinels answer <= 1150 ms, first write <= 1100 ms;
# SENTINEL FAILOVER done <= 300 ms; switchover: 0 acked writes lost, write pause <= 150 ms (p99).
# Usage: scripts/bench/fig5-failover.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig5-failover 3 1 "$@"

FAILPOLL="$BENCH_BIN_DIR/bench-failpoll"
[ -x "$FAILPOLL" ] || { echo "$0: $FAILPOLL is missing: make $FAILPOLL (or make bench)" >&2; exit 2; }
read -r -a KINDS <<<"${BENCH_KINDS:-kill manual switchover}"   # BENCH_KINDS: a subset, for development
NEAREST="Redis has no lossless switchover: its nearest, SENTINEL FAILOVER, is shown"

declare -A KIND_DESC=([kill]="kill -9 of the master" [manual]="SENTINEL FAILOVER"
                      [switchover]="switchover (Vigil HTTP)")
for k in kill manual switchover; do
    t_switch="" t_all="" t_write=""
    case $k in
    kill) t_all="<= 1150 ms" t_write="<= 1100 ms" ;;
    manual) t_switch="<= 300 ms" ;;
    esac
    bench_metric "$k.switch_ms" "${KIND_DESC[$k]}: first +switch-master" ms lower "$t_switch"
    bench_metric "$k.all_sentinels_ms" "${KIND_DESC[$k]}: every sentinel answers the new master" \
        ms lower "$t_all"
    bench_metric "$k.first_write_ms" "${KIND_DESC[$k]}: first write accepted by the new master" \
        ms lower "$t_write"
    if [ "$k" != kill ]; then
        t_pause="" t_lost=""
        [ "$k" = switchover ] && t_pause="<= 150 ms (p99)" && t_lost="0"
        bench_metric "$k.pause_ms" "${KIND_DESC[$k]}: longest gap between acked writes" ms lower \
            "$t_pause"
        bench_metric "$k.pause_surviving_ms" \
            "${KIND_DESC[$k]}: longest gap between acked writes that survived" ms lower
        bench_metric "$k.lost" "${KIND_DESC[$k]}: acked writes lost" writes lower "$t_lost"
    fi
done

bench_store_na sentinel
VIGIL_NA_SWITCHOVER=""

# record SIDE TRIAL KIND OUTFILE [NOTE]: failpoll's lines -> CSV rows (as KIND).
record() {
    local side=$1 trial=$2 kind=$3 out=$4 note=${5:-} key m v
    for key in switch_master_ms:switch_ms all_sentinels_ms:all_sentinels_ms \
        first_write_ms:first_write_ms write_pause_ms:pause_ms \
        write_pause_surviving_ms:pause_surviving_ms writes_lost:lost; do
        v=$(awk -v k="${key%%:*}" '$1 == k {print $2}' "$out")
        m="$kind.${key#*:}"
        [ -z "$v" ] && continue
        if [ "${v#-}" != "$v" ]; then
            bench_record "$m" "$side" "$trial" "" "not seen within the timeout"
        else
            bench_record "$m" "$side" "$trial" "$v" "$note"
        fi
    done
}

# measure SIDE TRIAL KIND
measure() {
    local side=$1 trial=$2 kind=$3 mode=$3 args=() note=""
    [ "$side" = vigil ] && [ "$kind" = switchover ] && [ -n "$VIGIL_NA_SWITCHOVER" ] && return 0
    # Redis has no switchover: its column is recorded from its SENTINEL FAILOVER trial.
    [ "$side" = redis ] && [ "$kind" = switchover ] && return 0
    if [ "$kind" = switchover ] && [ "$(bench_kind "$side")" = redis ]; then
        mode=manual
        note=$NEAREST
        [ "$side" = vigil ] && note="BENCH_VIGIL=redis: SENTINEL FAILOVER stands in for the switchover"
    fi
    if ! bench_deploy_nodes "$side" 2>"$BENCH_TMP/err" ||
        ! bench_deploy_sentinels "$side" "$([ "$mode" = switchover ] && echo 1 || echo 0)" \
            2>>"$BENCH_TMP/err"; then
        bench_fail "$side" "$kind.*" "deployment: $(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        [ "$side" = vigil ] && VIGIL_NA="deployment failed in trial $trial"
        bench_teardown
        return 0
    fi
    if ! bench_wait_discovered 60 2>"$BENCH_TMP/err"; then
        bench_fail "$side" "$kind.*" "discovery: $(cat "$BENCH_TMP/err")"
        [ "$side" = vigil ] && VIGIL_NA="discovery failed in trial $trial"
        bench_teardown
        return 0
    fi
    case $mode in
    kill) args=(--mode kill --master-pid "${DEP_PIDS[0]}") ;;
    manual) args=(--mode manual --writer) ;;
    switchover) args=(--mode switchover --http-port "${HTTP_PORTS[0]}" --token bench --writer) ;;
    esac
    bench_log "$side trial $trial: $kind${note:+ ($note)}"
    local out="$BENCH_TMP/failpoll.out"
    local nodes sens
    nodes=$(IFS=,; echo "${DEP_PORTS[*]}")
    sens=$(IFS=,; echo "${SEN_PORTS[*]}")
    if ! bench_run_helper "$out" "$FAILPOLL" --sentinels "$sens" --nodes "$nodes" \
        --timeout-ms 30000 "${args[@]}"; then
        bench_fail "$side" "$kind.*" "$(tail -n 2 "$out.err" | tr '\n' ' ')"
        if [ "$side" = vigil ] && [ "$kind" = switchover ]; then
            VIGIL_NA_SWITCHOVER="switchover failed in trial $trial"
        fi
        record "$side" "$trial" "$kind" "$out" "incomplete"
        bench_teardown
        return 0
    fi
    record "$side" "$trial" "$kind" "$out" "$note"
    # Redis's switchover column is its nearest: this same SENTINEL FAILOVER trial.
    [ "$side" = redis ] && [ "$kind" = manual ] && record redis "$trial" switchover "$out" "$NEAREST"
    local shown='^(switch_master_ms|all_sentinels_ms|first_write_ms|writes_lost|write_pause_ms) '
    bench_log "$side trial $trial: $kind: $(grep -E "$shown" "$out" | tr '\n' ' ')"
    bench_teardown
}

bench_trials measure "${KINDS[@]}"

bench_finish "Figure 5: failover, 3 nodes + 3 sentinels, down-after 1000 ms"
