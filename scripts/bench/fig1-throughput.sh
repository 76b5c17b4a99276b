#!/usr/bin/env bash
# Figure 1: throughput and latency with redis-benchmark, Vigil beside Redis.
#
#   redis-benchmark -c 50 -n 200000 -t set,get,incr,lpush,rpop,sadd,hset,zadd -P 1   and  -P 16
#
# against a master alone and against a master with 2 replicas attached (the replicas run on the
# same machine, as they would in the README's 3-node deployment). Recorded per test: requests per
# second, p50 and p99 latency (ms) from redis-benchmark's --csv output.
# Targets: set/get/incr/hset rps >= 1.1x Redis with p99 no worse; set -P 16 with
# 2 replicas >= 1.3x Redis.
# Usage: scripts/bench/fig1-throughput.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# 1 trial by default: 8 tests x 200,000 requests at -P 1, on 2 topologies and 2 sides, take
# 4-10 minutes on 2 cores; quote README figures from `--trials 3`.
bench_init fig1-throughput 1 1 "$@"

REQUESTS=200000
[ "$BENCH_QUICK" = 1 ] && REQUESTS=20000
REQUESTS=${BENCH_REQUESTS:-$REQUESTS}   # override for harness smoke tests only
TESTS=(SET GET INCR LPUSH RPOP SADD HSET ZADD)
TOPOS=(alone replicas2)
PIPES=(1 16)
declare -A TOPO_DESC=([alone]="master alone" [replicas2]="master + 2 replicas")

for topo in "${TOPOS[@]}"; do
    for p in "${PIPES[@]}"; do
        for t in "${TESTS[@]}"; do
            base="$topo.P$p.$t"
            rps_target="" p99_target=""
            case "$t" in SET|GET|INCR|HSET)
                [ "$topo" = alone ] && rps_target=">= 1.1x" && p99_target="<= 1.0x" ;;
            esac
            [ "$topo.$p.$t" = replicas2.16.SET ] && rps_target=">= 1.3x"
            d=${TOPO_DESC[$topo]}
            bench_metric "$base.rps" "$t -P $p, $d" "requests/s" higher "$rps_target" \
                "requests/s, -P $p"
            bench_metric "$base.p50_ms" "$t -P $p, $d, p50" ms lower "" "p50 latency, ms"
            bench_metric "$base.p99_ms" "$t -P $p, $d, p99" ms lower "$p99_target" "p99 latency, ms"
        done
    done
done

bench_store_na     # VIGIL_NA: the whole Vigil side is n/a (binary missing)
VIGIL_NA_REPL=""   # Vigil replication does not work yet: skip the replicas2 topology

# run_topology SIDE TRIAL TOPO
run_topology() {
    local side=$1 trial=$2 topo=$3 port
    [ "$side" = vigil ] && [ "$topo" = replicas2 ] && [ -n "$VIGIL_NA_REPL" ] && return 0
    if [ "$topo" = alone ]; then
        port=$(bench_ports 1) || return 1
        bench_start_store "$side" master "$port" 2>"$BENCH_TMP/err" || {
            bench_fail "$side" "$topo.*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    else
        if ! bench_deploy_nodes "$side" 2>"$BENCH_TMP/err"; then
            local why
            why="replication: $(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
            bench_fail "$side" "$topo.*" "$why"
            [ "$side" = vigil ] && VIGIL_NA_REPL=$why
            bench_teardown
            return 0
        fi
        port=${DEP_PORTS[0]}
    fi
    local tests
    tests=$(IFS=,; echo "${TESTS[*]}" | tr "[:upper:]" "[:lower:]")
    bench_pipes "$side" "$trial" "$topo" "$port" "$tests" "${TOPO_DESC[$topo]}"
    bench_teardown
}

bench_trials run_topology "${TOPOS[@]}"

bench_finish "Figure 1: throughput and latency (redis-benchmark -c 50 -n $REQUESTS)"
