#!/usr/bin/env bash
# aof-load.sh: loading a 1,000,000-key append-only file at start, vigil-store beside Redis 7.0.
#
# redis-server writes two AOF folders (DEBUG POPULATE 1000000 key 10, then BGREWRITEAOF): one
# whose base is commands (aof-use-rdb-preamble no), one whose base is a snapshot (yes). Each
# server then starts on a copy of each folder, TRIALS times, and the time it logs for the whole
# load ("DB loaded from append only file: N seconds", both servers write that line) is printed
# with the keys it holds and its resident memory. Not a test: nothing is asserted about speed.
# Usage: scripts/bench/aof-load.sh [TRIALS]   (default 3; VIGIL_BIN_DIR, REDIS_SERVER honoured)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vigil=${VIGIL_BIN_DIR:-$repo/bin}/vigil-store
redis=${REDIS_SERVER:-/usr/bin/redis-server}
trials=${1:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aof-load-bench.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or the deadline passes.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.05
    done
}

info_has() { redis-cli -p "$1" info persistence | grep -q "$2"; }

make_folder() { # make_folder PREAMBLE DIR
    local port; port=$(free_port)
    mkdir -p "$2"
    "$redis" --port "$port" --bind 127.0.0.1 --save "" --dir "$2" --appendonly yes \
        --aof-use-rdb-preamble "$1" --enable-debug-command yes --logfile "$2/redis.log" &
    pid=$!
    wait_for 10 redis-cli -p "$port" ping || { echo "redis-server did not start" >&2; exit 1; }
    redis-cli -p "$port" debug populate 1000000 key 10 >/dev/null
    redis-cli -p "$port" bgrewriteaof >/dev/null
    wait_for 300 info_has "$port" "aof_rewrite_in_progress:0" || exit 1
    wait_for 300 info_has "$port" "aof_rewrite_scheduled:0" || exit 1
    wait_for 300 info_has "$port" "aof_rewrite_in_progress:0" || exit 1
    redis-cli -p "$port" set after rewrite >/dev/null
    kill "$pid"; wait "$pid"; pid=""
    rm -f "$2/redis.log"
}

time_load() { # time_load SERVER FOLDER
    local run="$tmp/run" port; port=$(free_port)
    rm -rf "$run"; mkdir -p "$run"; cp -r "$2/appendonlydir" "$run/"
    "$1" --port "$port" --bind 127.0.0.1 --save "" --dir "$run" --appendonly yes \
        --logfile "$run/log" &
    pid=$!
    wait_for 600 grep -q "DB loaded from append only file" "$run/log" || { echo "no load"; return; }
    local secs keys rss
    secs=$(grep -o 'DB loaded from append only file: [0-9.]*' "$run/log" | grep -o '[0-9.]*$')
    keys=$(redis-cli -p "$port" dbsize)
    rss=$(ps -o rss= -p "$pid")
    kill "$pid"; wait "$pid"; pid=""
    echo "$secs s, $keys keys, rss $((rss / 1024)) MB"
}

for preamble in no yes; do
    make_folder "$preamble" "$tmp/src-$preamble"
    size=$(du -sm "$tmp/src-$preamble/appendonlydir" | cut -f1)
    for t in $(seq "$trials"); do
        echo "preamble $preamble (${size} MB) trial $t: redis $(time_load "$redis" "$tmp/src-$preamble")"
        echo "preamble $preamble (${size} MB) trial $t: vigil $(time_load "$vigil" "$tmp/src-$preamble")"
    done
done
