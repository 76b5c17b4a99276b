#!/usr/bin/env bash
# Figure 9: a cache under maxmemory, Vigil beside Redis: the cache figures where we aim to beat Redis.
#
# Each side runs one store with `--maxmemory 64mb --maxmemory-policy P` (P = allkeys-lru, then
# allkeys-lfu) and `bench-cacheload` (cacheload.c) against it, once with 16-byte and once with
# 100-byte values: prefill every key of a key space about 4x what Redis holds, a warm-up, then
# the measured Zipf (s = 0.99) run: GETs, 10% SETs, every GET miss refilled by a SET (cache-aside).
# The same seed on both sides, so both see the same key sequence.
# Reported per run: keys held (DBSIZE at the end), hit ratio (hits / GETs of the measured run),
# evicted keys (INFO stats, whole run), rps (every command of the measured run), and the peak
# used_memory / maxmemory (INFO memory every 50 ms on a second connection, whole run).
# A vigil-store that refuses --maxmemory or does not apply it gives n/a with the reason.
# Usage: scripts/bench/fig9-cache.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig9-cache 3 1 "$@"

MAXMEMORY_MB=64
# Redis 7.0 holds ~600,000 keys with 16-byte values and ~350,000 with 100-byte values in 64 MB.
declare -A KEYSPACE=([16]=2400000 [100]=1400000)
OPS=3000000
WARMUP=2000000
if [ "$BENCH_QUICK" = 1 ]; then
    MAXMEMORY_MB=8
    KEYSPACE=([16]=300000 [100]=160000)
    OPS=200000
    WARMUP=100000
fi
MAXMEMORY=$((MAXMEMORY_MB * 1048576))
# The load generator: beside the vigil-store measured, else this tree's bin/ (VIGIL_BIN_DIR may
# name another tree's build that has no bench-* clients).
LOAD="$BENCH_BIN_DIR/bench-cacheload"
[ -x "$LOAD" ] || LOAD="$BENCH_REPO/bin/bench-cacheload"
ITEMS=(lru.16 lru.100 lfu.16 lfu.100)

for item in "${ITEMS[@]}"; do
    run="allkeys-${item%%.*}, ${item#*.} B"
    bench_metric "$item.keys" "keys held: $run" keys higher ">= 1.5x" "keys held"
    bench_metric "$item.hit" "hit ratio: $run" "%" higher "above Redis" "hit ratio"
    bench_metric "$item.evicted" "evicted keys: $run" keys lower "" "evicted keys"
    bench_metric "$item.rps" "rps: $run" "commands/s" higher ">= 1.0x" "rps while evicting"
    bench_metric "$item.peak" "peak used_memory / maxmemory: $run" "x maxmemory" lower \
        "<= 1.05 (absolute)" "peak used_memory / maxmemory"
done

bench_store_na
if [ ! -x "$LOAD" ]; then
    echo "$0: $LOAD missing (make bench builds it)" >&2
    exit 2
fi

# start_cache SIDE ITEM PORT: a store with maxmemory and the item's policy; 1 with the reason on
# stderr when it does not start or does not apply the limit.
start_cache() {
    local side=$1 item=$2 port=$3 policy="allkeys-${2%%.*}" got
    bench_start_store "$side" "cache-$item" "$port" --maxmemory "${MAXMEMORY_MB}mb" \
        --maxmemory-policy "$policy" || return 1
    got=$(bench_cli "$port" CONFIG GET maxmemory-policy | tail -n 1)
    got+=$(bench_cli "$port" CONFIG GET maxmemory | tail -n 1)
    [ "$got" = "$policy$MAXMEMORY" ] && return 0
    echo "maxmemory not applied (CONFIG GET says '$got', want '$policy$MAXMEMORY')" >&2
    return 1
}

# server_state PORT: "(used_memory ... = N x maxmemory, K keys, E evicted)" for a failure's reason.
server_state() {
    local used keys ev
    used=$(bench_py info "$1" used_memory 2>/dev/null) || return 0
    keys=$(bench_cli "$1" DBSIZE 2>/dev/null)
    ev=$(bench_py info "$1" evicted_keys 2>/dev/null)
    awk -v u="$used" -v m="$MAXMEMORY" -v k="$keys" -v e="${ev:-?}" 'BEGIN {
        printf "(then: used_memory %.1f MB = %.3fx maxmemory, %s keys, %s evicted)",
            u / 1048576, u / m, k, e }'
}

# measure SIDE TRIAL ITEM
measure() {
    local side=$1 trial=$2 item=$3 port size=${3#*.}
    port=$(bench_ports 1) || return 1
    if ! start_cache "$side" "$item" "$port" 2>"$BENCH_TMP/err"; then
        local why
        why=$(grep -v '^ *$' "$BENCH_TMP/err" | tail -n 2 | tr '\n' ' ')
        if [ "$(bench_kind "$side")" = vigil ]; then
            VIGIL_NA="vigil-store has no working maxmemory: $why"
            bench_na '*' vigil "$VIGIL_NA"
            bench_log "vigil: n/a ($VIGIL_NA)"
        else
            bench_fail "$side" "$item.*" "$why"
        fi
        bench_teardown
        return 0
    fi
    local out="$BENCH_TMP/load-$side-$trial-$item"
    bench_log "$side trial $trial $item: ${KEYSPACE[$size]} keys, $WARMUP warm-up + $OPS ops"
    if ! bench_run_helper "$out" "$LOAD" --port "$port" --keys "${KEYSPACE[$size]}" \
        --value-bytes "$size" --ops "$OPS" --warmup "$WARMUP" --seed "$trial" --zipf-s 0.99 \
        --write-pct 10 --pipeline 64 --info-ms 50; then
        bench_fail "$side" "$item.*" "bench-cacheload: $(tail -n 2 "$out.err" | tr '\n' ' ')$(
            server_state "$port")"
        bench_teardown
        return 0
    fi
    record_run "$side" "$trial" "$item" "$port" "$out"
    bench_teardown
}

# record_run SIDE TRIAL ITEM PORT OUT: the load generator's figures plus DBSIZE and evicted_keys.
record_run() {
    local side=$1 trial=$2 item=$3 port=$4 out=$5 keys evicted
    local -A r
    while read -r k v; do r[$k]=$v; done <"$out"
    keys=$(bench_cli "$port" DBSIZE)
    evicted=$(bench_py info "$port" evicted_keys) || evicted=""
    local hit peak
    hit=$(awk -v h="${r[hit_ratio]}" 'BEGIN {printf "%.2f", h * 100}')
    peak=$(awk -v p="${r[peak_used_memory]}" -v m="$MAXMEMORY" 'BEGIN {printf "%.4f", p / m}')
    bench_record "$item.keys" "$side" "$trial" "$keys"
    bench_record "$item.hit" "$side" "$trial" "$hit"
    local enote=""
    [ -z "$evicted" ] && enote="no evicted_keys in INFO"
    bench_record "$item.evicted" "$side" "$trial" "$evicted" "$enote"
    bench_record "$item.rps" "$side" "$trial" "${r[rps]}"
    bench_record "$item.peak" "$side" "$trial" "$peak"
    bench_log "$side trial $trial $item: keys=$keys hit=$hit% evicted=$evicted rps=${r[rps]}" \
        "peak=${peak}x maxmemory (client cpu ${r[client_cpu_s]} s of ${r[elapsed_s]} s)"
}

bench_trials measure "${ITEMS[@]}"

bench_finish "Figure 9: a cache under maxmemory ${MAXMEMORY_MB} MB, Zipf 0.99, key space \
${KEYSPACE[16]} (16 B values) / ${KEYSPACE[100]} (100 B)"
