# shellcheck shell=bash
# lib.sh: what every figure script shares (sourced, never run).
#
# Why: each figure must start its own processes on free loopback ports in a temporary folder,
# stop exactly those (by pid) at the end, on Ctrl-C and on failure, print progress, and leave a
# CSV, a JSON summary and a markdown table under results/. Doing that once, here, keeps the Vigil
# side and the Redis side on the same command lines, topology and parameters.
#
# Sides: "vigil" runs bin/vigil-store and bin/vigil-sentinel; "redis" runs Debian's redis-server
# and redis-sentinel. BENCH_VIGIL=redis makes the vigil side run Redis's binaries too, which is how
# the harness is validated before Vigil has the feature (the table then says "Vigil*").
#
# Invariants:
#   - every process is started with `&` from the script's own shell (never inside $(...)), through
#     `setpriv --pdeathsig KILL`, so it dies with the script even if the script is SIGKILLed;
#   - a pid is signalled only while it is our unreaped child (so a recycled pid is never hit);
#   - every wait has a deadline; a Vigil-side failure becomes "n/a [k]" in the table with the
#     reason as footnote k; a Redis-side failure (a harness bug) is reported the same way and the
#     script exits non-zero at the end.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_PY=/usr/bin/python3
BENCH_BIN_DIR=${VIGIL_BIN_DIR:-${BIN:-$BENCH_REPO/bin}}
case "$BENCH_BIN_DIR" in /*) ;; *) BENCH_BIN_DIR="$BENCH_REPO/$BENCH_BIN_DIR" ;; esac
BENCH_VIGIL=${BENCH_VIGIL:-vigil}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_SENTINEL=${REDIS_SENTINEL:-/usr/bin/redis-sentinel}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-/usr/bin/redis-benchmark}
if [ "$BENCH_VIGIL" = redis ]; then
    BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_REPO/results/validate}
else
    BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_REPO/results}
fi
SETPRIV=()
[ -x /usr/bin/setpriv ] && SETPRIV=(/usr/bin/setpriv --pdeathsig KILL --)
# bench_py ARGS: the Python helper, dying with the script too. BENCH_PY_CMD is the same
# command for bench_run_helper (which adds setpriv itself).
BENCH_PY_CMD=("$BENCH_PY" "$BENCH_DIR/bench.py")
bench_py() { "${SETPRIV[@]}" "${BENCH_PY_CMD[@]}" "$@"; }

BENCH_PIDS=()          # our live children
BENCH_PORTS_USED=()    # every port handed out in this run
BENCH_FAILED=0         # a Redis-side (harness) failure happened
BENCH_TRIALS=0
BENCH_QUICK=0
BENCH_KEEP=0
BENCH_TMP=""
BENCH_T_START=$EPOCHREALTIME
LAST_PID=""

# --- arguments, progress, traps ----------------------------------------------------------------

bench_usage() {
    cat <<EOF
usage: $0 [--quick] [--trials N] [--keep]
  --quick     fewer trials and smaller runs (a smoke run; figures are not comparable)
  --trials N  trials per side (default $1)
  --keep      keep the temporary folder (logs, configs) after the run
Environment: BENCH_VIGIL=redis (run Redis's binaries on the Vigil side: harness validation),
VIGIL_BIN_DIR (where vigil-store, vigil-sentinel and bench-* are; default bin/),
BENCH_RESULTS (default results/, or results/validate/ with BENCH_VIGIL=redis).
EOF
}

# bench_init NAME DEFAULT_TRIALS QUICK_TRIALS "$@"
bench_init() {
    BENCH_NAME=$1
    local def=$2 quick_def=$3
    shift 3
    BENCH_ARGS="$*"
    local trials=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --quick) BENCH_QUICK=1 ;;
        --trials) trials=${2:?--trials needs a number}; shift ;;
        --trials=*) trials=${1#--trials=} ;;
        --keep) BENCH_KEEP=1 ;;
        -h|--help) bench_usage "$def"; exit 0 ;;
        *) echo "$0: unknown argument $1" >&2; bench_usage "$def" >&2; exit 2 ;;
        esac
        shift
    done
    if [ -n "$trials" ]; then
        case "$trials" in ''|*[!0-9]*|0) echo "$0: --trials wants a positive number" >&2; exit 2 ;; esac
        BENCH_TRIALS=$trials
    elif [ "$BENCH_QUICK" = 1 ]; then
        BENCH_TRIALS=$quick_def
    else
        BENCH_TRIALS=$def
    fi
    case "$BENCH_VIGIL" in vigil|redis) ;; *) echo "BENCH_VIGIL must be vigil or redis" >&2; exit 2 ;; esac
    for t in "$BENCH_PY" "$REDIS_SERVER" "$REDIS_CLI"; do
        [ -x "$t" ] || { echo "$0: $t is missing (run make deps)" >&2; exit 2; }
    done
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-$BENCH_NAME.XXXXXX")
    mkdir -p "$BENCH_RESULTS"
    BENCH_CSV="$BENCH_RESULTS/$BENCH_NAME.csv"
    echo "figure,metric,label,unit,better,target,panel,side,trial,value,note" >"$BENCH_CSV"
    trap bench_on_exit EXIT
    trap 'bench_log "interrupted"; exit 130' INT TERM HUP
    bench_log "start: trials=$BENCH_TRIALS quick=$BENCH_QUICK vigil side=$(bench_vigil_desc) tmp=$BENCH_TMP"
}

bench_vigil_desc() {
    if [ "$BENCH_VIGIL" = redis ]; then echo "redis (BENCH_VIGIL=redis)"; else echo "$BENCH_BIN_DIR"; fi
}

bench_log() {
    local now=$EPOCHREALTIME
    local el
    el=$(awk -v a="$BENCH_T_START" -v b="$now" 'BEGIN { printf "%6.1f", b - a }')
    printf '[%s %ss] %s\n' "${BENCH_NAME:-bench}" "$el" "$*" >&2
}

bench_on_exit() {
    local rc=$?
    trap - EXIT INT TERM HUP
    bench_stop_all
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] || [ "$BENCH_KEEP" = 1 ]; then
        [ -n "$BENCH_TMP" ] && bench_log "logs kept in $BENCH_TMP"
    elif [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
        rm -rf "$BENCH_TMP"
    fi
    exit "$rc"
}

# --- processes ---------------------------------------------------------------------------------

bench_forget_pid() {
    local p keep=()
    for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
}

# bench_alive PID: running (not a zombie waiting to be reaped).
bench_alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# bench_stop PID...: SIGTERM, wait up to 5 s, then SIGKILL; reaps and forgets each pid.
bench_stop() {
    local p i
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "$@"; do
        for ((i = 0; i < 100; i++)); do
            bench_alive "$p" || break
            sleep 0.05
        done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
        bench_forget_pid "$p"
    done
}

bench_stop_all() {
    [ ${#BENCH_PIDS[@]} -eq 0 ] && return 0
    bench_stop "${BENCH_PIDS[@]}"
}

# bench_spawn LOG CMD...: start CMD in the background with its output in LOG; sets LAST_PID.
bench_spawn() {
    local log=$1
    shift
    "${SETPRIV[@]}" "$@" >"$log" 2>&1 </dev/null &
    LAST_PID=$!
    BENCH_PIDS+=("$LAST_PID")
}

# bench_run_helper OUT CMD...: run a measuring helper in the background (so Ctrl-C is handled
# at once), wait for it; its stdout goes to OUT and its stderr to OUT.err. Returns its status.
bench_run_helper() {
    local out=$1 rc=0
    shift
    "${SETPRIV[@]}" "$@" >"$out" 2>"$out.err" </dev/null &
    local pid=$!
    BENCH_PIDS+=("$pid")
    wait "$pid" || rc=$?
    bench_forget_pid "$pid"
    return "$rc"
}

# bench_ports N: prints N free ports, remembers them so they are not handed out twice.
bench_ports() {
    local ports
    ports=$(bench_py ports "$1" "${BENCH_PORTS_USED[@]}") || return 1
    # shellcheck disable=SC2206
    BENCH_PORTS_USED+=($ports)
    echo "$ports"
}

# bench_store_cmd SIDE: the binary playing the store on SIDE ("" when it is not built).
bench_store_bin() {
    if [ "$1" = redis ] || [ "$BENCH_VIGIL" = redis ]; then echo "$REDIS_SERVER"
    elif [ -x "$BENCH_BIN_DIR/vigil-store" ]; then echo "$BENCH_BIN_DIR/vigil-store"
    else echo ""; fi
}

bench_sentinel_bin() {
    if [ "$1" = redis ] || [ "$BENCH_VIGIL" = redis ]; then echo "$REDIS_SENTINEL"
    elif [ -x "$BENCH_BIN_DIR/vigil-sentinel" ]; then echo "$BENCH_BIN_DIR/vigil-sentinel"
    else echo ""; fi
}

# bench_kind SIDE: "redis" when SIDE runs Redis's binaries, else "vigil".
bench_kind() {
    if [ "$1" = redis ] || [ "$BENCH_VIGIL" = redis ]; then echo redis; else echo vigil; fi
}

# bench_node_dir SIDE NAME: the working folder of a node, new for every deployment (bench_teardown
# starts the next one): a vigil-store restarted in a folder would read the overrides file that
# CONFIG REWRITE left there in an earlier trial (replicaof a node long gone).
BENCH_DEPLOYMENT=1
bench_node_dir() { echo "$BENCH_TMP/d$BENCH_DEPLOYMENT/$1-$2"; }

# bench_spawn_store SIDE NAME PORT [--key value ...]: starts a store in $BENCH_TMP/SIDE-NAME
# without waiting for it. Common settings for both kinds: loopback, no persistence, DEBUG allowed,
# diskless full sync with no delay. Sets LAST_PID.
BENCH_STORE_PREFIX=()
bench_spawn_store() {
    local side=$1 name=$2 port=$3
    shift 3
    local bin dir
    bin=$(bench_store_bin "$side")
    [ -n "$bin" ] || { echo "vigil-store not built" >&2; return 1; }
    dir=$(bench_node_dir "$side" "$name")
    mkdir -p "$dir"
    local args=(--port "$port" --bind 127.0.0.1 --dir "$dir" --enable-debug-command yes
                --repl-diskless-sync yes --repl-diskless-sync-delay 0)
    if [ "$(bench_kind "$side")" = redis ]; then
        args+=(--save "" --appendonly no --protected-mode no)
    else
        # BENCH_VIGIL_STORE_ARGS: extra settings for vigil-store only, split on spaces
        # (e.g. "--busy-poll-us 0" to measure without busy polling).
        local extra=()
        read -r -a extra <<<"${BENCH_VIGIL_STORE_ARGS:-}"
        args+=("${extra[@]}")
    fi
    # BENCH_STORE_PREFIX (an array): a command the store runs under, e.g. valgrind.
    bench_spawn "$dir/store.log" "${BENCH_STORE_PREFIX[@]}" "$bin" "${args[@]}" "$@"
}

# bench_wait_up PID PORT LOG: until PORT answers PING (sets LAST_PID=PID); else the log tail on
# stderr, the process stopped, return 1.
bench_wait_up() {
    local pid=$1 port=$2 log=$3
    if ! bench_py wait-ping "$port" 20 "$pid" 2>"$log.wait"; then
        echo "$(basename "$(dirname "$log")") on port $port did not start: $(cat "$log.wait")" >&2
        tail -n 5 "$log" >&2
        bench_stop "$pid"
        return 1
    fi
    LAST_PID=$pid
}

# bench_start_store SIDE NAME PORT [--key value ...]: bench_spawn_store, then wait for PING.
bench_start_store() {
    bench_spawn_store "$@" || return 1
    bench_wait_up "$LAST_PID" "$3" "$(bench_node_dir "$1" "$2")/store.log"
}

# bench_spawn_sentinel SIDE NAME PORT MASTER_PORT [HTTP_PORT]: one sentinel watching
# "mymaster" at 127.0.0.1:MASTER_PORT with quorum 2, down-after 1000 ms, failover-timeout
# 10000 ms, parallel-syncs 1, without waiting for it. Redis gets a sentinel.conf (it rewrites it:
# it lives in the temp dir); Vigil gets the same as YAML, plus an HTTP port with token "bench"
# when HTTP_PORT is given. Sets LAST_PID.
bench_spawn_sentinel() {
    local side=$1 name=$2 port=$3 mport=$4 hport=${5:-}
    local bin dir
    bin=$(bench_sentinel_bin "$side")
    [ -n "$bin" ] || { echo "vigil-sentinel not built" >&2; return 1; }
    dir=$(bench_node_dir "$side" "$name")
    mkdir -p "$dir"
    if [ "$(bench_kind "$side")" = redis ]; then
        cat >"$dir/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
dir $dir
sentinel monitor mymaster 127.0.0.1 $mport 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
        bench_spawn "$dir/sentinel.log" "$bin" "$dir/sentinel.conf"
    else
        {
            echo "port: $port"
            echo "bind: 127.0.0.1"
            echo "dir: $dir"
            if [ -n "$hport" ]; then
                printf 'http:\n  bind: 127.0.0.1\n  port: %s\n  token: bench\n' "$hport"
            fi
            echo "masters:"
            echo "  - name: mymaster"
            echo "    host: 127.0.0.1"
            echo "    port: $mport"
            echo "    quorum: 2"
            echo "    down-after: 1000ms"
            echo "    failover-timeout: 10s"
            echo "    parallel-syncs: 1"
        } >"$dir/sentinel.yaml"
        bench_spawn "$dir/sentinel.log" "$bin" "$dir/sentinel.yaml"
    fi
}

# bench_start_sentinel SIDE NAME PORT MASTER_PORT [HTTP_PORT]: spawn, then wait for PING.
bench_start_sentinel() {
    bench_spawn_sentinel "$@" || return 1
    bench_wait_up "$LAST_PID" "$3" "$(bench_node_dir "$1" "$2")/sentinel.log"
}

bench_cli() {
    local port=$1
    shift
    timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@"
}

# --- deployments: 1 master + 2 replicas (+ 3 sentinels) ---------------------------------------
# bench_deploy_nodes SIDE: starts the master and 2 replicas and waits until both replicas are in
# sync; sets DEP_PORTS (master first) and DEP_PIDS. bench_deploy_sentinels SIDE [WANT_HTTP]:
# 3 sentinels watching DEP_PORTS[0]; sets SEN_PORTS, SEN_PIDS, HTTP_PORTS (used by Vigil only).
# Both return 1 with the reason on stderr (what was started is stopped by bench_teardown).

bench_deploy_nodes() {
    local side=$1 ports p
    ports=$(bench_ports 3) || return 1
    # shellcheck disable=SC2206
    DEP_PORTS=($ports)
    DEP_PIDS=()
    bench_start_store "$side" master "${DEP_PORTS[0]}" || return 1
    DEP_PIDS+=("$LAST_PID")
    for p in 1 2; do
        bench_start_store "$side" "replica$p" "${DEP_PORTS[$p]}" \
            --replicaof "127.0.0.1 ${DEP_PORTS[0]}" || return 1
        DEP_PIDS+=("$LAST_PID")
    done
    bench_run_helper "$BENCH_TMP/wait-repl" "${BENCH_PY_CMD[@]}" wait-repl "${DEP_PORTS[0]}" 30 \
        "${DEP_PORTS[1]}" "${DEP_PORTS[2]}" || { cat "$BENCH_TMP/wait-repl.err" >&2; return 1; }
}

bench_deploy_sentinels() {
    local side=$1 want_http=${2:-0} ports i
    ports=$(bench_ports 6) || return 1
    # shellcheck disable=SC2206
    local all=($ports)
    SEN_PORTS=("${all[@]:0:3}")
    HTTP_PORTS=("${all[@]:3:3}")
    SEN_PIDS=()
    for i in 0 1 2; do
        local h=""
        [ "$want_http" = 1 ] && [ "$(bench_kind "$side")" = vigil ] && h=${HTTP_PORTS[$i]}
        bench_start_sentinel "$side" "sentinel$((i + 1))" "${SEN_PORTS[$i]}" "${DEP_PORTS[0]}" "$h" \
            || return 1
        SEN_PIDS+=("$LAST_PID")
    done
}

# bench_wait_discovered TIMEOUT_S: every sentinel knows 2 replicas and 2 peers.
bench_wait_discovered() {
    bench_run_helper "$BENCH_TMP/ready" "${BENCH_PY_CMD[@]}" ready "$EPOCHREALTIME" "$1" 2 2 \
        "${SEN_PORTS[@]}" || { cat "$BENCH_TMP/ready.err" >&2; return 1; }
}

bench_teardown() {
    bench_stop_all
    BENCH_DEPLOYMENT=$((BENCH_DEPLOYMENT + 1))
    DEP_PORTS=(); DEP_PIDS=(); SEN_PORTS=(); SEN_PIDS=(); HTTP_PORTS=()
}

# --- redis-benchmark at each pipeline depth ----------------------------------------------------

# bench_start_store_callgrind SIDE NAME PORT [ARGS...]: bench_start_store under valgrind's
# callgrind with instrumentation off, so that start-up and connection set-up are not counted;
# bench_instr_of counts around one workload. Sets LAST_PID.
bench_start_store_callgrind() {
    BENCH_STORE_PREFIX=(valgrind --tool=callgrind --instr-atstart=no
                        "--callgrind-out-file=$BENCH_TMP/cg.$1.%p")
    rm -f "$BENCH_TMP/cg.$1".*
    local rc=0
    bench_start_store "$@" || rc=1
    BENCH_STORE_PREFIX=()
    return $rc
}

# bench_instr_of SIDE TRIAL PORT PID METRIC ARGS...: redis-benchmark ARGS (options, then the
# command if any) run INSTR_REQUESTS times (-c INSTR_CLIENTS, default 10, -P 16, -r 1000) against
# the store bench_start_store_callgrind started; the instructions it executed from zero to a dump
# around the run, per request, recorded as METRIC. Why: a count of instructions does not move
# with the load on a shared machine, where requests per second swing by a quarter.
bench_instr_of() {
    local side=$1 trial=$2 port=$3 pid=$4 metric=$5 out="$BENCH_TMP/instr.txt" dump total
    shift 5
    callgrind_control -i on "$pid" >/dev/null 2>&1 && callgrind_control -z "$pid" >/dev/null 2>&1 || {
        bench_fail "$side" "$metric" "callgrind_control failed"; return 0; }
    if ! bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" \
        -c "${INSTR_CLIENTS:-10}" -n "$INSTR_REQUESTS" -r 1000 -P 16 -q "$@"; then
        bench_fail "$side" "$metric" "redis-benchmark failed"; return 0
    fi
    callgrind_control -d "$metric" "$pid" >/dev/null 2>&1
    callgrind_control -i off "$pid" >/dev/null 2>&1
    dump=$(ls -t "$BENCH_TMP/cg.$side".* 2>/dev/null | head -n 1)
    total=$(awk '/^totals:/ {print $2}' "$dump" 2>/dev/null)
    [ -n "$total" ] || { bench_fail "$side" "$metric" "no callgrind dump"; return 0; }
    bench_record "$metric" "$side" "$trial" "$((total / INSTR_REQUESTS))"
    bench_log "$side trial $trial: $metric: $((total / INSTR_REQUESTS)) instructions per request"
}

# cpu_ticks PID: utime + stime of the process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# bench_pipes SIDE TRIAL PREFIX PORT TESTS WHAT [ARGS...]: redis-benchmark -c 50 -n $REQUESTS
# -t TESTS against 127.0.0.1:PORT (ARGS, e.g. --tls ..., after the port) at each depth in PIPES,
# recording its figures as PREFIX.P<depth>.* (bench.py benchcsv); WHAT names the setup in the
# progress lines. A failed run is a bench_fail of PREFIX.P<depth>.* and the next depth goes on.
# PIPE_REQUESTS[depth], when set, replaces REQUESTS at that depth (a deep pipeline runs through
# 200,000 requests in a fraction of a second: too short to measure on a shared machine). With
# BENCH_PIPES_PID set, the server's CPU time per request over each run is recorded too, as
# PREFIX.P<depth>.cpu_us (all of TESTS together).
declare -A PIPE_REQUESTS
bench_pipes() {
    local side=$1 trial=$2 prefix=$3 port=$4 tests=$5 what=$6
    shift 6
    local p m v n before after ntests out="$BENCH_TMP/bench.csv"
    for p in "${PIPES[@]}"; do
        n=${PIPE_REQUESTS[$p]:-$REQUESTS}
        bench_log "$side trial $trial: $what, -P $p, -n $n"
        [ -n "${BENCH_PIPES_PID:-}" ] && before=$(cpu_ticks "$BENCH_PIPES_PID")
        if ! bench_run_helper "$out" timeout 900 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" \
            "$@" -c 50 -n "$n" -t "$tests" -P "$p" --csv; then
            bench_fail "$side" "$prefix.P$p.*" \
                "redis-benchmark: $(tail -n 2 "$out.err" | tr '\n' ' ')"
            continue
        fi
        if [ -n "${BENCH_PIPES_PID:-}" ]; then
            after=$(cpu_ticks "$BENCH_PIPES_PID")
            ntests=$(tr ',' '\n' <<<"$tests" | wc -l)
            bench_record "$prefix.P$p.cpu_us" "$side" "$trial" "$(awk -v d=$((after - before)) \
                -v hz="$(getconf CLK_TCK)" -v n=$((n * ntests)) 'BEGIN {printf "%.3f", d / hz * 1e6 / n}')"
        fi
        while read -r m v; do
            bench_record "$m" "$side" "$trial" "$v"
        done < <(bench_py benchcsv "$prefix.P$p" <"$out")
        bench_log "$side trial $trial: $(grep -o '"SET","[0-9.]*' "$out" | cut -d'"' -f4) SET rps"
    done
}

# --- results -----------------------------------------------------------------------------------

# bench_metric ID LABEL UNIT BETTER [TARGET [PANEL]]: declares a metric (before recording it).
# BETTER is higher or lower; TARGET is our goal as text; PANEL groups metrics into one
# plot panel (default: the unit).
declare -A BENCH_M_LABEL BENCH_M_UNIT BENCH_M_BETTER BENCH_M_TARGET BENCH_M_PANEL
bench_metric() {
    BENCH_M_LABEL[$1]=$2
    BENCH_M_UNIT[$1]=$3
    BENCH_M_BETTER[$1]=$4
    BENCH_M_TARGET[$1]=${5:-}
    BENCH_M_PANEL[$1]=${6:-$3}
    bench_record "$1" decl "" ""
}

# bench_record METRIC SIDE TRIAL VALUE [NOTE]; an empty VALUE with a NOTE means n/a.
bench_record() {
    local m=$1 side=$2 trial=$3 value=$4 note=${5:-} x q=()
    # CSV fields quoted, with no fork per field (a figure declares ~100 metrics).
    for x in "$m" "${BENCH_M_LABEL[$m]:-$m}" "${BENCH_M_UNIT[$m]:-}" "${BENCH_M_TARGET[$m]:-}" \
        "${BENCH_M_PANEL[$m]:-}" "$note"; do
        x=${x//\"/\'}
        q+=("\"${x//$'\n'/ }\"")
    done
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$BENCH_NAME" "${q[0]}" "${q[1]}" "${q[2]}" \
        "${BENCH_M_BETTER[$m]:-lower}" "${q[3]}" "${q[4]}" "$side" "$trial" "$value" "${q[5]}" \
        >>"$BENCH_CSV"
}

# bench_na PATTERN SIDE REASON: every metric matching PATTERN without a value on SIDE is n/a.
bench_na() {
    local pat=${1//\"/\'} why=${3//\"/\'}
    printf '%s,"%s","",,,,,%s,,,"%s"\n' "$BENCH_NAME" "$pat" "$2" "${why//$'\n'/ }" >>"$BENCH_CSV"
}

# bench_fail SIDE WHAT: a measurement failed. Vigil side: recorded as n/a. Redis side: the harness
# is broken; remembered so the script exits non-zero.
bench_fail() {
    local side=$1 pattern=$2 why=$3
    bench_log "$side: FAILED: $why"
    bench_na "$pattern" "$side" "failed: $why"
    [ "$side" = redis ] || [ "$BENCH_VIGIL" = redis ] && BENCH_FAILED=1
    return 0
}

# bench_sides TRIAL: the two sides in the order this trial runs them (alternating, so a drift in
# machine load does not always favour the same side).
bench_sides() {
    if [ $(($1 % 2)) -eq 1 ]; then echo "vigil redis"; else echo "redis vigil"; fi
}

# bench_store_na [sentinel]: sets VIGIL_NA (and records every metric n/a on the Vigil side) when
# vigil-store (or, with "sentinel", vigil-sentinel) is not built; "" otherwise.
bench_store_na() {
    VIGIL_NA=""
    [ -z "$(bench_store_bin vigil)" ] && VIGIL_NA="not built: $BENCH_BIN_DIR/vigil-store"
    [ -z "$VIGIL_NA" ] && [ "${1:-}" = sentinel ] && [ -z "$(bench_sentinel_bin vigil)" ] \
        && VIGIL_NA="not built: $BENCH_BIN_DIR/vigil-sentinel"
    [ -n "$VIGIL_NA" ] && bench_na '*' vigil "$VIGIL_NA" && bench_log "vigil: n/a ($VIGIL_NA)"
    return 0
}

# bench_trials FN [ITEM...]: the one trial loop of every figure. For each trial, both sides in
# bench_sides order, it calls FN SIDE TRIAL (or FN SIDE TRIAL ITEM for each ITEM, e.g. a topology
# or a failover kind). The Vigil side is left out while VIGIL_NA says why (FN may set it when a
# trial shows the feature is missing; FN skips narrower cases itself by returning 0). FN failing
# (non-zero: it could not even start its processes) is recorded as a failure of that side and
# whatever it started is stopped.
bench_trials() {
    local fn=$1 trial side item
    shift
    local items=("$@")
    [ ${#items[@]} -eq 0 ] && items=("")
    for ((trial = 1; trial <= BENCH_TRIALS; trial++)); do
        for side in $(bench_sides "$trial"); do
            for item in "${items[@]}"; do
                [ "$side" = vigil ] && [ -n "${VIGIL_NA:-}" ] && continue
                "$fn" "$side" "$trial" ${item:+"$item"} && continue
                bench_fail "$side" "${item:+$item.}*" "could not start"
                bench_teardown
            done
        done
    done
}

bench_machine() {
    local cpu
    cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
    echo "$(nproc) cores${cpu:+ ($cpu)}, $(uname -sr)"
}

# bench_finish TITLE: prints the markdown table, writes JSON/MD; exit status 1 on a harness failure.
bench_finish() {
    local title=$1
    bench_stop_all
    local vs=vigil
    [ "$BENCH_VIGIL" = redis ] && vs="redis (BENCH_VIGIL=redis)"
    local rv cmd="scripts/bench/$BENCH_NAME.sh${BENCH_ARGS:+ $BENCH_ARGS}"
    [ "$BENCH_VIGIL" = redis ] && cmd="BENCH_VIGIL=redis $cmd"
    rv=$("$REDIS_SERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
    echo
    bench_py summarize "$BENCH_CSV" "$BENCH_RESULTS/$BENCH_NAME.json" \
        "$BENCH_RESULTS/$BENCH_NAME.md" "$title" \
        "date=$(date -u +%Y-%m-%dT%H:%MZ)" "machine=$(bench_machine)" "trials=$BENCH_TRIALS" \
        "quick=$BENCH_QUICK" "vigil_side=$vs" "redis_version=$rv" \
        "command=$cmd" || BENCH_FAILED=1
    bench_log "results: $BENCH_CSV, $BENCH_RESULTS/$BENCH_NAME.json"
    [ "$BENCH_FAILED" = 0 ]
}
