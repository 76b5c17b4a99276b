#!/usr/bin/env bash
# make demo: start a master, two replicas and three sentinels on 127.0.0.1 in the foreground,
# show the status and what to try, and on Ctrl-C, SIGINT or SIGTERM to this script's pid (or when
# the `make` that started it goes away) stop exactly what was started, remove the folder and exit
# 0. Data and logs live in one folder, named at the start.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")
export VIGIL_DEPLOY_DIR=$dir

cleanup() {
    trap - INT TERM EXIT
    echo
    echo "Stopping the demo..."
    "$top/scripts/deploy.sh" down "$dir" || true
    rm -rf "$dir"
    echo "Stopped; removed $dir."
}
# A signal is a clean stop (exit 0); EXIT covers `set -e` failures with their own status.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

echo "Starting 3 vigil-store nodes and 3 vigil-sentinels; data and logs in $dir"
"$top/scripts/deploy.sh" up "$dir"
# shellcheck disable=SC1091
. "$dir/ports.env"
echo
"$top/scripts/deploy.sh" status "$dir"
# The message goes out through builtins: a SIGINT that lands while bash waits for a foreground
# child (cat) that exits normally is taken as handled by that child, and the trap would not run.
IFS= read -r -d '' msg <<MSG || true

Every sentinel knows the master, both replicas and its two peers. Try, in another terminal:

  redis-cli -p $SENTINEL1_PORT SENTINEL get-master-addr-by-name mymaster
  redis-cli -p $STORE1_PORT SET greeting hello
  $top/bin/vigilctl --sentinel 127.0.0.1:$HTTP1_PORT status
  $top/bin/vigilctl --sentinel 127.0.0.1:$HTTP1_PORT --token demo-token switchover mymaster
  redis-cli -p $SENTINEL1_PORT PSUBSCRIBE '*'          # watch the events
  $top/scripts/deploy.sh kill-master $dir             # kill -9 the master, watch the failover
  $top/scripts/deploy.sh status $dir

Logs: $dir/logs. Press Ctrl-C (or kill $$) to stop everything.
MSG
printf '%s' "$msg"
# Wait in a way signals interrupt at once (bash runs traps only between commands, so not in a
# foreground sleep), and stop if the parent (make) was killed without passing the signal on.
parent=$PPID
while kill -0 "$parent" 2>/dev/null; do
    sleep 1 &
    wait $! || true
done
