"""scripts/check-core-log.sh: the sentinel's decision core logs only through its env (core_log ->
env->log), never with common/log.h's functions, and the check really refuses a direct call (so its
green run means something)."""
import pathlib
import subprocess

import vigiltest

CHECK = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "check-core-log.sh"


def check(*root):
    return subprocess.run([str(CHECK), *map(str, root)], capture_output=True, text=True,
                          timeout=60)


def test_the_core_logs_only_through_env():
    res = check()
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_direct_log_call_in_the_core_is_named(proc_group):
    tree = pathlib.Path(vigiltest.new_tmp_dir_in(proc_group.dir, "core-log"))
    core = tree / "sentinel" / "core"
    core.mkdir(parents=True)
    (core / "tick.c").write_text('#include "common/log.h"\n'
                                 'void f(struct sentinel *s) { core_log(s, LOG_WARNING, "x"); }\n')
    assert check(tree).returncode == 0
    (core / "failover.c").write_text('void g(void)\n{\n    log_warning("x");\n}\n')
    res = check(tree)
    assert res.returncode == 1
    assert "sentinel/core/failover.c:3:" in res.stdout, res.stdout
