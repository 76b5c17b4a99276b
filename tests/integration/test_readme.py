"""The README's configuration reference is generated from the schema tables: fail when they
drift apart (regenerate with scripts/gen-readme-config.sh)."""
import re
import subprocess
from pathlib import Path

import pytest

from vigiltest import require_binary, vigil_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["vigil-store", "vigil-sentinel"])
def test_readme_config_reference_matches_schema(name):
    binary = require_binary(vigil_binary(name))
    ref = subprocess.run([binary, "--config-reference"], check=True, capture_output=True,
                         text=True).stdout.rstrip("\n")
    readme = (ROOT / "README.md").read_text()
    m = re.search(re.escape(f"<!-- BEGIN {name} config -->") + r"\n(.*?)\n" +
                  re.escape(f"<!-- END {name} config -->"), readme, re.S)
    assert m, f"README.md lacks the {name} config block"
    assert m.group(1) == ref, f"README's {name} reference is stale: run scripts/gen-readme-config.sh"
