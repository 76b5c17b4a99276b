#!/usr/bin/env bash
# Checks which way the includes point (README, "Architecture"): every `#include "dir/file.h"` in a
# project source file must name a folder its own folder may depend on. Exits 1 naming each file:line
# that breaks a rule, 0 when none does. Usage: scripts/check-layers.sh [ROOT]  (default: the repo)
#
#   common/          -> common/                      (depends on nothing in the project)
#   store/data/      -> common/ store/data/           (pure data structures: no server, no commands)
#   store/rdb/       -> common/ store/rdb/ store/data/
#   store/**         -> common/ store/**              (never sentinel/)
#   sentinel/core/   -> common/ sentinel/core/        (the sans-IO core: no shell, no HTTP)
#   sentinel/**      -> common/ sentinel/**           (never store/)
# The most specific rule (longest folder prefix) decides.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

allowed_for() {
    case "$1" in
    common/*) echo "common/" ;;
    store/data/*) echo "common/ store/data/" ;;
    store/rdb/*) echo "common/ store/rdb/ store/data/" ;;
    store/*) echo "common/ store/" ;;
    sentinel/core/*) echo "common/ sentinel/core/" ;;
    sentinel/*) echo "common/ sentinel/" ;;
    *) echo "" ;;
    esac
}

bad=0
while IFS= read -r file; do
    allowed=$(allowed_for "$file")
    [ -n "$allowed" ] || continue
    while IFS=: read -r line inc; do
        ok=0
        for prefix in $allowed; do
            case "$inc" in "$prefix"*) ok=1 ;; esac
        done
        if [ "$ok" -eq 0 ]; then
            echo "$file:$line: includes \"$inc\"; $(dirname "$file")/ may include only: $allowed"
            bad=1
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
             sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/' | grep -v ':[^/]*$')
done < <(find common store sentinel -name '*.[ch]' 2>/dev/null | sort)
if [ "$bad" -ne 0 ]; then
    echo "check-layers: includes point the wrong way (rules at the top of $0)" >&2
    exit 1
fi
echo "check-layers: every include points the right way"
