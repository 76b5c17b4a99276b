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
# -rs lists every skip with its reason in the summary; tests/conftest.py fails the run on a skip
# that is not on tests/skip-allowlist.txt. pytest's exit status 5 ("no tests collected") is a
# failure too: a suite that silently collects nothing (a -k typo, a broken import mode) must not
# pass. Every status passes through.
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
PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -rs -p no:cacheprovider -o addopts= \
    --rootdir "$repo" --import-mode=importlib "${extra[@]}" "$dir"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "run-pytests: no tests collected in $dir: that is a failure" >&2
fi
exit "$rc"
