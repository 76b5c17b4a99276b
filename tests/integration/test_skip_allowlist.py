"""The skip allow-list is enforced: an unlisted skip or xfail fails the run, a listed one does not.

Each case runs pytest in a subprocess on a tiny test file in the test's temp dir, with the
enforcing plugin (`-p vigiltest.skipcheck`) and an allow-list of the case's own
(VIGIL_SKIP_ALLOWLIST), and looks at the exit status and the summary. Also: the repository's
allow-list parses and names only test files that exist, and scripts/run-pytests.sh fails a
directory with no tests in it.
"""

import os
import subprocess

import pytest

from vigiltest import skipcheck

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIB = os.path.join(REPO, "tests", "lib")

TESTS = '''
import pytest

def test_passes():
    assert True

def test_skipped():
    pytest.skip("feature not there")

@pytest.mark.xfail(reason="known broken", strict=False)
def test_expected_to_fail():
    assert False
'''


def run_pytest(test_dir, allowlist, env=None, tests=TESTS):
    with open(os.path.join(test_dir, "test_tiny.py"), "w") as f:
        f.write(tests)
    path = os.path.join(test_dir, "allow.txt")
    with open(path, "w") as f:
        f.write(allowlist)
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("VIGIL_TARGET", "VIGIL_BIN_DIR", "PYTEST_ADDOPTS")}
    full_env.update(PYTHONPATH=LIB, PYTHONDONTWRITEBYTECODE="1", VIGIL_SKIP_ALLOWLIST=path)
    full_env.update(env or {})
    return subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-rs", "-p",
                           "no:cacheprovider", "-p", "vigiltest.skipcheck", "--rootdir", test_dir,
                           "-o", "addopts=", test_dir], cwd=test_dir, env=full_env,
                          capture_output=True, text=True, timeout=60)


BOTH = ("test_tiny.py::test_skipped | the feature is Vigil-only\n"
        "test_tiny.py::test_expected_to_fail | a known bug, tracked\n")


def test_an_unlisted_skip_and_xfail_fail_the_run_naming_them(test_dir):
    r = run_pytest(test_dir, "# nothing allowed\n")
    assert r.returncode == 1, r
    assert "SKIP NOT ALLOWED test_tiny.py::test_skipped: Skipped: feature not there" in r.stdout
    assert "SKIP NOT ALLOWED test_tiny.py::test_expected_to_fail: xfail: known broken" in r.stdout
    assert "1 passed" in r.stdout, r.stdout


def test_listed_skips_pass_and_a_prefix_covers_a_file(test_dir):
    assert run_pytest(test_dir, BOTH).returncode == 0
    r = run_pytest(test_dir, "test_tiny.py | every skip of the file, for this test\n")
    assert r.returncode == 0, r
    r = run_pytest(test_dir, "test_tiny.py::test_skipped | only one of the two\n")
    assert r.returncode == 1 and "test_expected_to_fail" in r.stdout, r
    assert "SKIP NOT ALLOWED test_tiny.py::test_skipped" not in r.stdout


@pytest.mark.parametrize("condition, env, allowed", [
    ("target=redis", {}, False),
    ("target=redis", {"VIGIL_TARGET": "redis"}, True),
    ("bin=asan-*", {}, False),
    ("bin=asan-*", {"VIGIL_BIN_DIR": "/somewhere/bin/asan-gcc"}, True),
    ("target=redis bin=asan-*", {"VIGIL_TARGET": "redis"}, False),
])
def test_conditions_scope_an_entry(test_dir, condition, env, allowed):
    lines = "".join("%s %s | %s\n" % (line.split(" | ")[0], condition, line.split(" | ")[1])
                    for line in BOTH.splitlines())
    r = run_pytest(test_dir, lines, env)
    assert r.returncode == (0 if allowed else 1), r


@pytest.mark.parametrize("line", ["test_tiny.py::test_skipped\n", "test_tiny.py |  \n",
                                  "test_tiny.py kind=x | why\n", "| why\n"])
def test_a_bad_allowlist_line_stops_the_run_naming_it(test_dir, line):
    r = run_pytest(test_dir, "# ok\n" + line)
    assert r.returncode == 4, r   # pytest's usage error
    assert "allow.txt:2:" in r.stderr, r


def test_a_failure_stays_a_failure_with_every_skip_listed(test_dir):
    r = run_pytest(test_dir, BOTH, tests=TESTS + "\ndef test_fails():\n    assert False\n")
    assert r.returncode == 1 and "1 failed" in r.stdout, r


def test_the_repository_allowlist_parses_and_names_existing_files():
    entries = skipcheck.load_allowlist(skipcheck.ALLOWLIST)
    assert entries
    for e in entries:
        path = e.prefix.split("::")[0]
        assert os.path.isfile(os.path.join(REPO, path)), "%s: no such test file %s" % (e.where,
                                                                                       path)
        assert e.reason


def test_run_pytests_fails_a_directory_without_tests(test_dir):
    empty = os.path.join(test_dir, "empty")
    os.mkdir(empty)
    r = subprocess.run([os.path.join(REPO, "scripts", "run-pytests.sh"), empty],
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "PYTEST_ARGS"})
    assert r.returncode == 5, r
    assert "no tests collected" in r.stderr, r
