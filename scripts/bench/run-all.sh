#!/usr/bin/env bash
# make bench: every benchmark figure, Vigil beside Redis, one after the other; then one summary.
#
# Each figure script starts and stops its own processes (see lib.sh); this script only runs them in
# order, goes on when one fails, and gathers their markdown tables into results/summary.md (with
# the date, the machine and the command: what the README's performance section quotes).
# Arguments (or BENCH_ARGS="..." through make, e.g. `make bench BENCH_ARGS=--quick`):
#   --quick | --trials N | --keep   passed to every figure
#   --only 1,5,10                   run only these figures (1b: the paired throughput runs)
# Environment: BENCH_VIGIL=redis (validate the harness with Redis on both sides; results go to
# results/validate/), VIGIL_BIN_DIR.
# Exit status: 0, or 1 if a figure's harness failed (a Vigil-side n/a is not a failure).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. scripts/bench/lib.sh

# shellcheck disable=SC2206
args=(${BENCH_ARGS:-} "$@")
pass=() only=""
while [ ${#args[@]} -gt 0 ]; do
    case "${args[0]}" in
    --only) only=${args[1]:?--only needs a list}; args=("${args[@]:2}"); continue ;;
    --only=*) only=${args[0]#--only=} ;;
    --trials) pass+=(--trials "${args[1]:?--trials needs a number}"); args=("${args[@]:2}"); continue ;;
    --quick|--keep|--trials=*) pass+=("${args[0]}") ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument ${args[0]}" >&2; exit 2 ;;
    esac
    args=("${args[@]:1}")
done

trap 'echo "run-all: interrupted" >&2; exit 130' INT TERM HUP
mkdir -p "$BENCH_RESULTS"
start=$EPOCHREALTIME
rv=$("$REDIS_SERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
vside="vigil ($BENCH_BIN_DIR)"
[ "$BENCH_VIGIL" = redis ] && vside="redis-server/redis-sentinel (BENCH_VIGIL=redis: harness validation)"
summary="$BENCH_RESULTS/summary.md"
{
    echo "## Benchmarks: Vigil beside Redis $rv"
    echo
    cmd="make bench${BENCH_ARGS:+ BENCH_ARGS=\"$BENCH_ARGS\"}"
    [ $# -gt 0 ] && cmd="scripts/bench/run-all.sh $*"
    [ "$BENCH_VIGIL" = redis ] && cmd="BENCH_VIGIL=redis $cmd"
    echo "$(date -u +%Y-%m-%d), $(bench_machine); command: \`$cmd\`."
    echo "Vigil side: $vside."
    echo "Medians over the trials; ratio = Vigil / Redis. Raw trials: $BENCH_RESULTS/*.csv."
    echo
} >"$summary"
printf '{"date": "%s", "machine": "%s", "redis_version": "%s", "vigil_side": "%s", "args": "%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(bench_machine)" "$rv" "$vside" "${pass[*]}" \
    >"$BENCH_RESULTS/machine.json"

failed=()
# In figure order (fig10 after fig9, not after fig1).
mapfile -t scripts < <(printf '%s\n' scripts/bench/fig[0-9]*-*.sh | sort -V)
for script in "${scripts[@]}"; do
    name=$(basename "$script" .sh)
    num=${name#fig}
    num=${num%%-*}
    if [ -n "$only" ] && ! [[ ",$only," == *",$num,"* ]]; then continue; fi
    echo "== $name $(date +%H:%M:%S)" >&2
    rm -f "$BENCH_RESULTS/$name.md" "$BENCH_RESULTS/$name.json"   # never quote a stale table
    rc=0
    "$script" "${pass[@]}" || rc=$?
    [ "$rc" -eq 130 ] && exit 130
    [ "$rc" -ne 0 ] && failed+=("$name")
    [ -f "$BENCH_RESULTS/$name.md" ] && { cat "$BENCH_RESULTS/$name.md"; echo; } >>"$summary"
done

# Figure 1b: the throughput runs as back-to-back pairs (pairs-throughput.py); Vigil only.
if [ "$BENCH_VIGIL" != redis ] && { [ -z "$only" ] || [[ ",$only," == *",1b,"* ]]; }; then
    echo "== pairs-throughput $(date +%H:%M:%S)" >&2
    pargs=(--rounds 7)
    [[ " ${pass[*]} " == *" --quick "* ]] && pargs=(--rounds 2 --requests 20000)
    if VIGIL_BIN_DIR="$BENCH_BIN_DIR" /usr/bin/python3 scripts/bench/pairs-throughput.py \
        "${pargs[@]}" >"$BENCH_RESULTS/pairs-throughput.md"; then
        { echo "### Figure 1b: throughput, paired runs"; echo; cat "$BENCH_RESULTS/pairs-throughput.md"
          echo; } >>"$summary"
    else
        failed+=(pairs-throughput)
    fi
fi

elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}')
echo "Total time: ${elapsed}s." >>"$summary"
echo
echo "================================================================================"
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "run-all: harness failures in: ${failed[*]} (their logs were kept; see above)" >&2
    exit 1
fi
echo "run-all: done in ${elapsed}s; tables in $summary; make bench-plot draws them" >&2
