#!/usr/bin/env bash
# Regenerates the README's configuration reference from the programs' schema tables
# (`--config-reference`), between the BEGIN/END markers. tests/integration/test_readme.py fails
# when the README and the schemas disagree, so run this after changing a schema.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${VIGIL_BIN_DIR:-$top/bin}
/usr/bin/python3 - "$top/README.md" "$bin" <<'PY'
import subprocess, sys, re
readme, bindir = sys.argv[1], sys.argv[2]
text = open(readme).read()
for name in ("vigil-store", "vigil-sentinel"):
    ref = subprocess.run([f"{bindir}/{name}", "--config-reference"], check=True,
                         capture_output=True, text=True).stdout
    begin, end = f"<!-- BEGIN {name} config -->", f"<!-- END {name} config -->"
    pat = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pat.search(text):
        sys.exit(f"README.md has no {begin} ... {end} block")
    text = pat.sub(lambda m: begin + "\n" + ref.rstrip("\n") + "\n" + end, text)
open(readme, "w").write(text)
PY
