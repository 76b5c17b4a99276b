#!/usr/bin/env bash
# Checks that the sentinel's decision core logs only through its env (core_log -> env->log), so a
# fake world sees, keeps or silences its lines: no file under sentinel/core calls common/log.h's
# log functions (log_msg, log_debug/verbose/notice/warning, log_rate_msg*). common/log.h itself may
# be included, for enum log_level. Exits 1 naming each file:line that does, 0 when none does.
# Usage: scripts/check-core-log.sh [ROOT]  (default: the repo)
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
found=$(grep -nE '\blog_(msg|debug|verbose|notice|warning|rate_msg|rate_msg_at)[[:space:]]*\(' \
    sentinel/core/*.[ch] 2>/dev/null)
if [ -n "$found" ]; then
    echo "$found"
    echo "check-core-log: sentinel/core logs directly; use core_log (through env->log)" >&2
    exit 1
fi
echo "check-core-log: sentinel/core logs only through env"
