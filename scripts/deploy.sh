#!/usr/bin/env bash
# deploy.sh: a local three-node, three-sentinel Vigil deployment on 127.0.0.1.
#
#   scripts/deploy.sh up [DIR]        start store1 (master), store2, store3 and sentinel1-3
#   scripts/deploy.sh down [DIR]      stop every process this deployment started (by pid)
#   scripts/deploy.sh status [DIR]    table of nodes and what each sentinel believes
#   scripts/deploy.sh kill-master [DIR]   kill -9 the current master
#   scripts/deploy.sh restart NODE [DIR]  restart store1..3 or sentinel1..3 (same ports)
#
# DIR (default $VIGIL_DEPLOY_DIR or /tmp/vigil-deploy) holds data, logs, pids and ports.env.
# Ports: the preferred ones (stores 6380-6382, sentinels 26379-26381, HTTP 26479-26481) when
# free, else any free port; the ones in use are written to DIR/ports.env.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${VIGIL_BIN_DIR:-$top/bin}
cmd=${1:-}
shift || true

node_arg=""
if [ "$cmd" = "restart" ]; then node_arg=${1:-}; shift || true; fi
dir=${1:-${VIGIL_DEPLOY_DIR:-/tmp/vigil-deploy}}
master_name=mymaster
token=demo-token

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() { # pick_port PREFERRED: echo PREFERRED if free, else a free port from the kernel
    local want=$1 used=" ${2:-} "
    if port_free "$want" && [[ "$used" != *" $want "* ]]; then echo "$want"; return; fi
    local p
    for _ in $(seq 1 50); do
        p=$(( (RANDOM % 20000) + 30000 ))
        if port_free "$p" && [[ "$used" != *" $p "* ]]; then echo "$p"; return; fi
    done
    echo "deploy: no free port found" >&2
    exit 1
}

load_ports() {
    [ -f "$dir/ports.env" ] || { echo "deploy: no deployment in $dir (run: $0 up $dir)" >&2; exit 1; }
    # shellcheck disable=SC1091
    . "$dir/ports.env"
}

rcli() { redis-cli -h 127.0.0.1 "$@"; }

is_running() { [ -f "$dir/pids/$1.pid" ] && kill -0 "$(cat "$dir/pids/$1.pid")" 2>/dev/null; }

stop_node() { # stop_node NAME: SIGTERM, then wait (a store saves its data first) up to 30 s
    is_running "$1" || return 0
    local pid; pid=$(cat "$dir/pids/$1.pid")
    kill "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "deploy: $1 (pid $pid) still running 30 s after SIGTERM; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
}

start_store() { # start_store N [MASTER_PORT]: without MASTER_PORT, node N starts as the master
    local n=$1 master=${2:-} port_var="STORE$1_PORT"
    local args=(--port "${!port_var}" --dir "$dir/store$n") conf=$top/configs/demo/store-master.yaml
    if [ -n "$master" ]; then
        conf=$top/configs/demo/store-replica.yaml
        args+=(--replicaof "127.0.0.1 $master")
    fi
    mkdir -p "$dir/store$n"
    "$bin/vigil-store" "$conf" "${args[@]}" >>"$dir/logs/store$n.log" 2>&1 &
    echo $! >"$dir/pids/store$n.pid"
}

start_sentinel() { # start_sentinel N
    local n=$1 port_var="SENTINEL$1_PORT" http_var="HTTP$1_PORT"
    mkdir -p "$dir/sentinel$n"
    "$bin/vigil-sentinel" "$top/configs/demo/sentinel.yaml" --port "${!port_var}" \
        --dir "$dir/sentinel$n" --http.port "${!http_var}" --masters.0.port "$STORE1_PORT" \
        >>"$dir/logs/sentinel$n.log" 2>&1 &
    echo $! >"$dir/pids/sentinel$n.pid"
}

sentinel_field() { # sentinel_field PORT FIELD: one field of SENTINEL MASTER mymaster
    rcli -p "$1" SENTINEL MASTER "$master_name" 2>/dev/null | awk -v f="$2" 'prev==f {print; exit} {prev=$0}'
}

wait_ready() { # every sentinel knows the master, 2 replicas and 2 peers
    local deadline=$(( $(date +%s) + ${VIGIL_DEPLOY_TIMEOUT:-30} ))
    while :; do
        local ok=1
        for n in 1 2 3; do
            local p="SENTINEL${n}_PORT"
            [ "$(sentinel_field "${!p}" num-slaves)" = 2 ] || ok=0
            [ "$(sentinel_field "${!p}" num-other-sentinels)" = 2 ] || ok=0
        done
        [ $ok = 1 ] && return 0
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "deploy: not ready after ${VIGIL_DEPLOY_TIMEOUT:-30}s; logs in $dir/logs" >&2
            return 1
        fi
        sleep 0.1
    done
}

cmd_up() {
    [ -x "$bin/vigil-store" ] && [ -x "$bin/vigil-sentinel" ] || { echo "deploy: build first (make)" >&2; exit 1; }
    if [ -f "$dir/ports.env" ] && is_running sentinel1; then echo "deploy: already up in $dir" >&2; exit 1; fi
    mkdir -p "$dir/logs" "$dir/pids"
    local used="" p
    {
        for n in 1 2 3; do p=$(pick_port $((6379 + n)) "$used"); used="$used $p"; echo "STORE${n}_PORT=$p"; done
        for n in 1 2 3; do p=$(pick_port $((26378 + n)) "$used"); used="$used $p"; echo "SENTINEL${n}_PORT=$p"; done
        for n in 1 2 3; do p=$(pick_port $((26478 + n)) "$used"); used="$used $p"; echo "HTTP${n}_PORT=$p"; done
    } >"$dir/ports.env"
    load_ports
    start_store 1
    start_store 2 "$STORE1_PORT"
    start_store 3 "$STORE1_PORT"
    for n in 1 2 3; do start_sentinel "$n"; done
    wait_ready
}

cmd_down() {
    [ -d "$dir/pids" ] || return 0
    for f in "$dir"/pids/*.pid; do
        [ -f "$f" ] || continue
        local pid; pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
    done
    for f in "$dir"/pids/*.pid; do
        [ -f "$f" ] || continue
        local pid; pid=$(cat "$f")
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

current_master_port() {
    local p
    for n in 1 2 3; do
        p="SENTINEL${n}_PORT"
        local addr; addr=$(rcli -p "${!p}" SENTINEL GET-MASTER-ADDR-BY-NAME "$master_name" 2>/dev/null | tail -1 || true)
        [ -n "$addr" ] && { echo "$addr"; return; }
    done
}

cmd_status() {
    load_ports
    printf '%-10s %-6s %-6s %-8s %-8s %s\n' NODE PORT HTTP PID STATE ROLE
    for n in 1 2 3; do
        local p="STORE${n}_PORT" state=down role="-"
        if is_running "store$n"; then
            state=up
            role=$(rcli -p "${!p}" ROLE 2>/dev/null | head -1)
        fi
        printf '%-10s %-6s %-6s %-8s %-8s %s\n' "store$n" "${!p}" - "$(cat "$dir/pids/store$n.pid" 2>/dev/null || echo -)" "$state" "$role"
    done
    for n in 1 2 3; do
        local p="SENTINEL${n}_PORT" state=down view="-"
        if is_running "sentinel$n"; then
            state=up
            view="master $(rcli -p "${!p}" SENTINEL GET-MASTER-ADDR-BY-NAME "$master_name" 2>/dev/null | paste -sd: -)"
            view="$view epoch $(sentinel_field "${!p}" config-epoch) replicas $(sentinel_field "${!p}" num-slaves) peers $(sentinel_field "${!p}" num-other-sentinels)"
        fi
        local h="HTTP${n}_PORT"
        printf '%-10s %-6s %-6s %-8s %-8s %s\n' "sentinel$n" "${!p}" "${!h:--}" "$(cat "$dir/pids/sentinel$n.pid" 2>/dev/null || echo -)" "$state" "$view"
    done
}

cmd_kill_master() {
    load_ports
    local mport; mport=$(current_master_port)
    for n in 1 2 3; do
        local p="STORE${n}_PORT"
        if [ "${!p}" = "$mport" ] && is_running "store$n"; then
            kill -9 "$(cat "$dir/pids/store$n.pid")"
            echo "killed store$n (port $mport) with SIGKILL"
            return 0
        fi
    done
    echo "deploy: no running master found" >&2
    return 1
}

cmd_restart() {
    load_ports
    case "$node_arg" in
    store[123]) local n=${node_arg#store}
        local mport own="STORE${n}_PORT"; mport=$(current_master_port)
        stop_node "store$n"
        # A returning replica starts as a replica of the current master (as Sentinel would make
        # it). The current master itself restarts as systemd's Restart= would restart it: with
        # its own config and dir. The demo's stores keep an append-only file (everysec), so it
        # comes back with its data (saved at SIGTERM, and replayed at start) and stays the
        # master. Started without its data (files removed), it would not take writes: its
        # overrides file says it belonged to a group, so it waits (-READONLY) while its replicas
        # keep their data and the sentinels promote one of them.
        if [ "$mport" = "${!own}" ]; then start_store "$n"; else start_store "$n" "${mport:-$STORE1_PORT}"; fi ;;
    sentinel[123]) local n=${node_arg#sentinel}
        stop_node "sentinel$n"
        start_sentinel "$n" ;;
    *) echo "usage: $0 restart store1|store2|store3|sentinel1|sentinel2|sentinel3 [DIR]" >&2; exit 2 ;;
    esac
}

case "$cmd" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kill-master) cmd_kill_master ;;
restart) cmd_restart ;;
*) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
