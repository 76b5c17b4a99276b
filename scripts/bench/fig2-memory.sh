#!/usr/bin/env bash
# Figure 2: memory after 1,000,000 keys with 16-byte values, Vigil beside Redis.
#
# An empty server's used_memory (INFO memory) and RSS (/proc/<pid>/status VmRSS) are read first,
# then `DEBUG POPULATE 1000000 key 16` (enable-debug-command yes on both), then both again.
# Bytes per key = (after - empty) / keys. If vigil-store has no DEBUG POPULATE yet, both sides are
# filled by a client instead (pipelined SET key:<i> <16 bytes>) and the table says so.
# Target: used_memory per key <= 0.8x Redis's.
# Usage: scripts/bench/fig2-memory.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig2-memory 3 1 "$@"

KEYS=1000000
VALUE_BYTES=16
FILL=${BENCH_FILL:-populate}   # populate | pipe

bench_metric used_per_key "used_memory per key (after - empty) / $KEYS" bytes lower "<= 0.8x"
bench_metric rss_per_key "RSS per key (after - empty) / $KEYS" bytes lower
bench_metric used_mb "used_memory with $KEYS keys" MB lower
bench_metric rss_mb "RSS with $KEYS keys" MB lower
bench_metric empty_used_mb "used_memory, empty server" MB lower
bench_metric empty_rss_mb "RSS, empty server" MB lower

bench_store_na

rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }
used_bytes() { bench_py info "$1" used_memory; }

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 port pid
    port=$(bench_ports 1) || return 1
    if ! bench_start_store "$side" master "$port" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        return 0
    fi
    pid=$LAST_PID
    local u0 r0 u1 r1
    if ! u0=$(used_bytes "$port") || ! r0=$(rss_bytes "$pid"); then
        bench_fail "$side" '*' "INFO memory has no used_memory"; bench_teardown; return 0
    fi
    bench_log "$side trial $trial: empty: used_memory=$u0 rss=$r0; filling $KEYS keys ($FILL)"
    if ! bench_py fill "$port" "$KEYS" "$VALUE_BYTES" "$FILL" 2>"$BENCH_TMP/err"; then
        if [ "$side" = vigil ] && [ "$FILL" = populate ] && [ "$trial" = 1 ]; then
            bench_log "vigil: DEBUG POPULATE failed ($(cat "$BENCH_TMP/err")):" \
                "both sides are filled by a client from now on"
            FILL=pipe
            bench_cli "$port" FLUSHALL >/dev/null
            if ! bench_py fill "$port" "$KEYS" "$VALUE_BYTES" "$FILL" 2>"$BENCH_TMP/err"; then
                bench_fail "$side" '*' "$(cat "$BENCH_TMP/err")"; bench_teardown; return 0
            fi
        else
            bench_fail "$side" '*' "$(cat "$BENCH_TMP/err")"; bench_teardown; return 0
        fi
    fi
    if ! u1=$(used_bytes "$port") || ! r1=$(rss_bytes "$pid"); then
        bench_fail "$side" '*' "no used_memory after the fill"; bench_teardown; return 0
    fi
    local note=""
    [ "$FILL" = pipe ] && note="filled by a client (pipelined SET), not DEBUG POPULATE"
    bench_record used_per_key "$side" "$trial" "$(( (u1 - u0) / KEYS ))" "$note"
    bench_record rss_per_key "$side" "$trial" "$(( (r1 - r0) / KEYS ))" "$note"
    bench_record used_mb "$side" "$trial" "$(awk -v b="$u1" 'BEGIN {printf "%.1f", b / 1048576}')"
    bench_record rss_mb "$side" "$trial" "$(awk -v b="$r1" 'BEGIN {printf "%.1f", b / 1048576}')"
    bench_record empty_used_mb "$side" "$trial" "$(awk -v b="$u0" 'BEGIN {printf "%.2f", b / 1048576}')"
    bench_record empty_rss_mb "$side" "$trial" "$(awk -v b="$r0" 'BEGIN {printf "%.2f", b / 1048576}')"
    bench_log "$side trial $trial: $(( (u1 - u0) / KEYS )) bytes/key used_memory, $(( (r1 - r0) / KEYS )) bytes/key RSS"
    bench_teardown
}

bench_trials measure

bench_finish "Figure 2: memory with $KEYS keys, $VALUE_BYTES-byte values"
