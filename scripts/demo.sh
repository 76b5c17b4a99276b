#!/usr/bin/env bash
# make demo: will start a master, two replicas and three sentinels on 127.0.0.1 in the
# foreground. Until the sentinel lands it says what it built and what it will do.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Built: $(ls bin 2>/dev/null | tr '\n' ' ')"
echo "The demo will start one vigil-store master, two replicas and three vigil-sentinels on"
echo "127.0.0.1, wait until they know each other, and print what to try next."
