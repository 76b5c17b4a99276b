"""A pytest plugin: a run with a skip (or xfail) that is not on the allow-list fails.

Why: a test that skips itself when a feature, binary or probe is missing turns a regression into
a green run. Every legitimate skip is listed, with its reason, in tests/skip-allowlist.txt; at
the end of the session any other skip is printed and the exit status becomes 1 (pytest's "tests
failed"), even if every test that ran passed. tests/conftest.py loads these hooks for
tests/integration and tests/compat; tests/integration/test_skip_allowlist.py checks the plugin
itself (`-p vigiltest.skipcheck` on a temp test dir).

Allow-list lines (blank lines and lines starting with # are ignored):

    <nodeid or nodeid prefix> [key=glob ...] | <reason>

An entry matches a skipped test whose node id starts with the prefix, when every condition
holds: target=<glob> matches vigiltest.target_kind() ('vigil', or 'redis' under
VIGIL_TARGET=redis); bin=<glob> matches the name of the folder holding the Vigil binaries
($VIGIL_BIN_DIR, default 'bin'; `make asan` uses 'asan-<compiler>', e.g. 'asan-cc'). A line
without a reason, with an unknown key or without a prefix stops the run (a usage error naming
the line).
Environment: VIGIL_SKIP_ALLOWLIST names another allow-list file (the plugin's own test uses it).
"""

import fnmatch
import os

import pytest

from . import store

ALLOWLIST = os.path.join(store.REPO_ROOT, "tests", "skip-allowlist.txt")
CONDITIONS = {
    "target": store.target_kind,
    "bin": lambda: os.path.basename(os.path.normpath(store.vigil_bin_dir())),
}

_skipped = []   # (nodeid, reason) of every skip and xfail seen this session


class Entry:
    def __init__(self, prefix, conditions, reason, where):
        self.prefix = prefix
        self.conditions = conditions   # {key: glob}
        self.reason = reason
        self.where = where             # file:line, for messages

    def matches(self, nodeid):
        return nodeid.startswith(self.prefix) and all(
            fnmatch.fnmatchcase(CONDITIONS[k](), glob) for k, glob in self.conditions.items())


def parse_allowlist(text, path="<allow-list>"):
    """The entries of an allow-list text; ValueError naming path:line for a bad line."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = "%s:%d" % (path, lineno)
        head, bar, reason = line.partition("|")
        words = head.split()
        if not bar or not reason.strip() or not words:
            raise ValueError("%s: want '<nodeid prefix> [key=glob ...] | <reason>': %r"
                             % (where, line))
        conditions = {}
        for word in words[1:]:
            key, eq, glob = word.partition("=")
            if not eq or key not in CONDITIONS or not glob:
                raise ValueError("%s: unknown condition %r (known: %s)"
                                 % (where, word, ", ".join("%s=<glob>" % k for k in CONDITIONS)))
            conditions[key] = glob
        entries.append(Entry(words[0], conditions, reason.strip(), where))
    return entries


def load_allowlist(path=None):
    path = path or os.environ.get("VIGIL_SKIP_ALLOWLIST") or ALLOWLIST
    with open(path) as f:
        return parse_allowlist(f.read(), path)


def unlisted(skipped, entries):
    """The (nodeid, reason) pairs that no entry allows."""
    return [(nodeid, reason) for nodeid, reason in skipped
            if not any(e.matches(nodeid) for e in entries)]


def _reason(report):
    if hasattr(report, "wasxfail"):
        return "xfail: %s" % (report.wasxfail or "no reason given")
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return longrepr[2]
    return str(longrepr)


def pytest_configure(config):
    try:
        config._vigil_skip_allowlist = load_allowlist()
    except (OSError, ValueError) as exc:
        raise pytest.UsageError("skip allow-list: %s" % exc) from None


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append((report.nodeid, _reason(report)))


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append((report.nodeid, _reason(report)))


def _unlisted_of(config):
    return unlisted(_skipped, getattr(config, "_vigil_skip_allowlist", []))


def pytest_terminal_summary(terminalreporter, config):
    bad = _unlisted_of(config)
    if not bad:
        return
    terminalreporter.section("skips not on the allow-list", sep="=", red=True, bold=True)
    for nodeid, reason in bad:
        terminalreporter.write_line("SKIP NOT ALLOWED %s: %s" % (nodeid, reason), red=True)
    terminalreporter.write_line(
        "a skip hides a failure: fix the test, or add an entry with its reason to %s"
        % (os.environ.get("VIGIL_SKIP_ALLOWLIST") or os.path.relpath(ALLOWLIST, store.REPO_ROOT)))


def pytest_sessionfinish(session):
    if _unlisted_of(session.config) and session.exitstatus in (pytest.ExitCode.OK,
                                                               pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
