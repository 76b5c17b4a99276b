#!/usr/bin/env bash
# Figure 8: KEYS over 1,000,000 keys, Vigil beside Redis.
#
# Each side gets `DEBUG POPULATE 1000000 user` (keys user:0 .. user:999999), then `KEYS *`
# (every key) and `KEYS user:1*` (111,111 keys) are sent REPS times each on one connection.
# Two figures per run: the server's own time for the command (INFO commandstats usec, before
# and after) and the client's round trip to the last byte of the reply (bench.py reads the
# reply without building its elements, so the client is not the slow side). Both servers block
# while KEYS runs; the server time is what every other client waits.
# Target: no slower than Redis (ratio <= 1.0).
# Usage: scripts/bench/fig8-keys.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig8-keys 3 1 "$@"

KEYS=1000000
REPS=3
[ "$BENCH_QUICK" = 1 ] && KEYS=100000 REPS=1
PREFIX_WANT=$(( KEYS == 1000000 ? 111111 : 11111 ))

bench_metric server_all "KEYS * ($KEYS keys): server time" ms lower "<= 1.0x" "ms (server)"
bench_metric server_prefix "KEYS user:1* ($PREFIX_WANT of $KEYS): server time" ms lower \
    "<= 1.0x" "ms (server)"
bench_metric client_all "KEYS *: round trip to the last reply byte" ms lower "" "ms (client)"
bench_metric client_prefix "KEYS user:1*: round trip to the last reply byte" ms lower "" \
    "ms (client)"

bench_store_na

# time_keys SIDE TRIAL PORT PATTERN WANT NAME: REPS runs, each recorded as trial.rep.
time_keys() {
    local side=$1 trial=$2 port=$3 pat=$4 want=$5 name=$6 out="$BENCH_TMP/keys.out" rep=0
    if ! bench_py keys "$port" "$pat" "$REPS" "$want" >"$out" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" "*_$name" "KEYS $pat: $(cat "$BENCH_TMP/err")"
        return 0
    fi
    local client_ms server_ms
    while read -r client_ms server_ms; do
        rep=$((rep + 1))
        bench_record "client_$name" "$side" "$trial.$rep" "$client_ms"
        bench_record "server_$name" "$side" "$trial.$rep" "$server_ms"
        bench_log "$side trial $trial.$rep: KEYS $pat: server ${server_ms} ms, client ${client_ms} ms"
    done <"$out"
}

# measure SIDE TRIAL
measure() {
    local side=$1 trial=$2 port
    port=$(bench_ports 1) || return 1
    if ! bench_start_store "$side" master "$port" 2>"$BENCH_TMP/err"; then
        bench_fail "$side" '*' "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"
        return 0
    fi
    if ! bench_cli "$port" DEBUG POPULATE "$KEYS" user >"$BENCH_TMP/err" 2>&1 ||
        [ "$(bench_cli "$port" DBSIZE)" != "$KEYS" ]; then
        bench_fail "$side" '*' "DEBUG POPULATE $KEYS user failed: $(cat "$BENCH_TMP/err")"
        bench_teardown
        return 0
    fi
    time_keys "$side" "$trial" "$port" '*' "$KEYS" all
    time_keys "$side" "$trial" "$port" 'user:1*' "$PREFIX_WANT" prefix
    bench_teardown
}

bench_trials measure

bench_finish "Figure 8: KEYS over $KEYS keys (both servers block while it runs)"
