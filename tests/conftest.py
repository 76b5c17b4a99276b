"""Root pytest conftest for Vigil's Python tests (tests/integration, tests/compat).

Why: every process-level test needs the same plumbing: the vigiltest helpers on sys.path, a group
that owns the processes the test starts (and stops exactly those afterwards), a temp dir, and the
logs of those processes printed when the test fails. Run through scripts/run-pytests.sh, which
uses /usr/bin/python3 and writes nothing into the tree.

Fixtures:
  proc_group   (autouse) the test's ProcGroup; Procs and start_store() join it unless told
               otherwise; stopped (SIGTERM, deadline, SIGKILL) when the test ends.
  test_dir     the test's temp dir (kept with the logs when anything fails).
  store        the target store on a free port: vigil-store, or redis-server when
               VIGIL_TARGET=redis; a missing binary fails the test, naming its path.
  redis_store  Debian's redis-server on a free port (fails if not installed).
  node_kind    the data-node kind for deployments (vigiltest.deploy): the target kind, so
               'vigil' unless VIGIL_TARGET=redis. A test that is about interop parametrizes
               it directly: @pytest.mark.parametrize("node_kind", deploy.NODE_KINDS).

Skips: a skipped (or xfailed) test that is not on tests/skip-allowlist.txt fails the run at the
end of the session (vigiltest.skipcheck, whose hooks are imported below).

On failure the report gets a "vigil process logs" section with the tail of every process the test
started plus every still-running process of the run (module fixtures), and the temp root is kept
and named in the summary. Environment: VIGIL_BIN_DIR, VIGIL_TARGET, VIGIL_TEST_TMP, VIGIL_KEEP_TMP.
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import vigiltest  # noqa: E402  (needs the sys.path entry above)
from vigiltest import skipcheck  # noqa: E402
from vigiltest.skipcheck import (pytest_collectreport, pytest_configure,  # noqa: E402,F401
                                 pytest_runtest_logreport, pytest_sessionfinish)

LOG_TAIL_LINES = 40

# A shell without job control starts its background jobs with SIGINT ignored, and an ignored signal
# stays ignored across exec: every process a test started (make demo, whose Ctrl-C a test checks)
# could then never be interrupted. A handler of our own is reset to the default in each child.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _proc_logs(item):
    group = getattr(item, "_vigil_group", None)
    seen = []
    for proc in (group.procs if group else []) + vigiltest.live_procs():
        if proc not in seen:
            seen.append(proc)
    return "\n".join(p.describe(LOG_TAIL_LINES) for p in seen)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        vigiltest.keep_tmp()
        logs = _proc_logs(item)
        if logs:
            report.sections.append(("vigil process logs (%s)" % report.when, logs))


def pytest_terminal_summary(terminalreporter, config):
    skipcheck.pytest_terminal_summary(terminalreporter, config)
    if vigiltest.tmp_is_kept():
        terminalreporter.write_line("vigiltest: logs and data dirs kept in %s"
                                    % vigiltest.run_tmp_root())


@pytest.fixture(autouse=True)
def proc_group(request):
    group = vigiltest.ProcGroup(request.node.name)
    request.node._vigil_group = group
    with vigiltest.group_scope(group):
        yield group
    group.stop_all()


@pytest.fixture
def test_dir(proc_group):
    return proc_group.dir


@pytest.fixture
def store(proc_group):
    s = vigiltest.start_store(vigiltest.target_kind(), group=proc_group)
    yield s
    s.close_clients()


@pytest.fixture
def redis_store(proc_group):
    s = vigiltest.start_store("redis", group=proc_group)
    yield s
    s.close_clients()


@pytest.fixture
def node_kind():
    return vigiltest.target_kind()
