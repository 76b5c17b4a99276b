"""scripts/check-core-log.sh: the sentinel's decision core logs only through its env (core_log ->
env->log), never with common/log.h's functions, and the check really refuses a direct call (so its
green run means something)."""
import os
import subprocess

import vigiltest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "scripts", "check-core-log.sh")


def run_check(root):
    return subprocess.run([CHECK, root], capture_output=True, text=True, timeout=60)


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def test_the_core_logs_only_through_env():
    res = run_check(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_direct_log_call_in_the_core_is_named(proc_group):
    tmp = vigiltest.new_tmp_dir_in(proc_group.dir, "core-log")
    write(tmp, "sentinel/core/tick.c",
          '#include "common/log.h"\nvoid f(struct sentinel *s) { core_log(s, LOG_WARNING, "x"); }\n')
    assert run_check(tmp).returncode == 0
    write(tmp, "sentinel/core/failover.c", 'void g(void)\n{\n    log_warning("x");\n}\n')
    res = run_check(tmp)
    assert res.returncode == 1
    assert "sentinel/core/failover.c:3:" in res.stdout, res.stdout
