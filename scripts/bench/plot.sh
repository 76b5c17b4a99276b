#!/usr/bin/env bash
# make bench-plot: one PNG per figure from the latest `make bench` results, Vigil beside Redis
# (bars at the median, error bars from min to max over the trials, one panel per unit), and a line
# chart per *-series.csv (figure 10: used_memory and DBSIZE of both servers against time).
# Usage: scripts/bench/plot.sh [RESULTS_DIR]   (default results/, or results/validate/ with
# BENCH_VIGIL=redis). PNGs and their gnuplot scripts go to RESULTS_DIR/plots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/lib.sh
dir=${1:-$BENCH_RESULTS}
command -v gnuplot >/dev/null || { echo "plot: gnuplot is missing (make deps)" >&2; exit 2; }
[ -d "$dir" ] || { echo "plot: no $dir: run make bench first" >&2; exit 2; }
n=0 bad=0
while read -r gp; do
    if gnuplot "$gp"; then
        echo "plot: ${gp%.gp}.png"
        n=$((n + 1))
    else
        echo "plot: gnuplot failed on $gp" >&2
        bad=1
    fi
done < <(bench_py plot "$dir" "$dir/plots"
         "${SETPRIV[@]}" "$BENCH_PY" "$BENCH_DIR/expiry.py" plot "$dir" "$dir/plots")
echo "plot: $n PNG(s) in $dir/plots" >&2
exit "$bad"
