#!/usr/bin/env bash
# Runs the Python tests under DIR with Debian's interpreter (/usr/bin/python3, which carries the
# redis and pytest modules) and writes nothing into the source tree: no .pytest_cache, no
# __pycache__, no addopts picked up from an ini file.
#
# Usage: scripts/run-pytests.sh DIR
#   PYTEST_ARGS="-k 'strings or keys' -x" scripts/run-pytests.sh tests/compat
#   VIGIL_TARGET=redis scripts/run-pytests.sh tests/compat   (vigil side played by redis-server)
#
# PYTEST_ARGS is split like a shell would (quotes honoured, no globbing, no eval).
# pytest's exit status 5 ("no tests collected") counts as success so an empty test directory
# does not fail `make integration` or `make compat`; every other status passes through.
set -uo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR  (extra pytest arguments in PYTEST_ARGS)" >&2
    exit 2
fi
dir=$1
if [ ! -d "$dir" ]; then
    echo "$0: no such directory: $dir" >&2
    exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3

extra=()
if [ -n "${PYTEST_ARGS:-}" ]; then
    mapfile -d '' extra < <("$py" -c 'import shlex, sys
for a in shlex.split(sys.argv[1]):
    sys.stdout.write(a + "\0")' "$PYTEST_ARGS") || exit 2
fi

# importlib mode: test files in different directories may share a basename.
PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -p no:cacheprovider -o addopts= \
    --rootdir "$repo" --import-mode=importlib "${extra[@]}" "$dir"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "run-pytests: no tests collected in $dir"
    exit 0
fi
exit "$rc"
