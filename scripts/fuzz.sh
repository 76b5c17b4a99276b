#!/usr/bin/env bash
# fuzz.sh: runs the libFuzzer harnesses built by `make fuzz-bins` (bin/fuzz/fuzz-<name>), one
# after the other, never in parallel (-jobs/-workers are not used: one core at a time).
#
#   scripts/fuzz.sh corpus NAME...   each harness over its committed corpus tests/fuzz/corpus/NAME,
#                                    every input run once (no mutation): `make test` runs this
#   scripts/fuzz.sh run NAME...      each harness fuzzes for FUZZ_SECONDS (default 60), or for
#                                    FUZZ_RUNS inputs if set, starting from its committed corpus;
#                                    new inputs go to build/fuzz/corpus/NAME (not committed)
#
# A crash, leak, sanitizer report or timeout stops that harness; its input is saved under
# build/fuzz/artifacts/ and its report under build/fuzz/logs/NAME.log. Prints one line per
# harness (executions, executions per second, result) and exits 1 if any harness failed.
# Environment: FUZZ_BIN_DIR (default bin/fuzz), FUZZ_SECONDS, FUZZ_RUNS, FUZZ_ARGS (extra libFuzzer
# options, e.g. "-max_len=65536").
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

mode=${1:-}
shift || true
[ "$mode" = corpus ] || [ "$mode" = run ] || { sed -n '2,15p' "$0" >&2; exit 2; }
[ $# -gt 0 ] || { echo "fuzz.sh: no harness named" >&2; exit 2; }

bin_dir=${FUZZ_BIN_DIR:-bin/fuzz}
work=build/fuzz
mkdir -p "$work/artifacts" "$work/logs"
# Leaks are errors; a UBSan report aborts (the harnesses are built -fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck disable=SC2206
extra=(${FUZZ_ARGS:-})

# stat NAME LOG: a value of libFuzzer's -print_final_stats=1 block.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=() passed=0
for name in "$@"; do
    exe="$bin_dir/fuzz-$name" seeds="tests/fuzz/corpus/$name" log="$work/logs/$name.log"
    if [ ! -x "$exe" ]; then
        echo "$name: FAIL: $exe is missing (make fuzz-bins)"
        failed+=("$name")
        continue
    fi
    if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
        echo "$name: FAIL: no seed corpus in $seeds"
        failed+=("$name")
        continue
    fi
    common=(-artifact_prefix="$work/artifacts/$name-" -print_final_stats=1 -timeout=10
            -rss_limit_mb=2048 "${extra[@]}")
    start=$EPOCHREALTIME
    if [ "$mode" = corpus ]; then
        mapfile -t inputs < <(find "$seeds" -type f | sort)
        "$exe" "${common[@]}" -runs=1 "${inputs[@]}" >"$log" 2>&1
    else
        mkdir -p "$work/corpus/$name"
        if [ -n "${FUZZ_RUNS:-}" ]; then
            limit=(-runs="$FUZZ_RUNS")
        else
            limit=(-max_total_time="${FUZZ_SECONDS:-60}")
        fi
        "$exe" "${common[@]}" "${limit[@]}" "$work/corpus/$name" "$seeds" >"$log" 2>&1
    fi
    rc=$?
    secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    execs=$(stat number_of_executed_units "$log")
    [ "$mode" = corpus ] && execs=${#inputs[@]}
    rate=$(stat average_exec_per_sec "$log")
    if [ "$rc" -eq 0 ] && [ "$mode" = corpus ]; then
        echo "$name: ok: ${execs} corpus inputs in ${secs}s"
        passed=$((passed + 1))
    elif [ "$rc" -eq 0 ]; then
        echo "$name: ok: ${execs:-?} executions in ${secs}s (${rate:-?}/s)"
        passed=$((passed + 1))
    else
        echo "$name: FAIL (exit $rc) after ${execs:-?} executions in ${secs}s; report: $log"
        grep -m 3 -E 'ERROR: |runtime error|SUMMARY|Test unit written' "$log" | sed 's/^/    /'
        failed+=("$name")
    fi
done

label=fuzz
[ "$mode" = corpus ] && label=fuzz-corpus
echo "$label: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
