"""scripts/check-layers.sh: the include rules of the README's architecture section hold in the tree,
and the check really refuses an include that points the wrong way (so its green run means something)."""
import os
import subprocess

import vigiltest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "scripts", "check-layers.sh")


def run_check(root):
    return subprocess.run([CHECK, root], capture_output=True, text=True, timeout=60)


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def test_the_tree_follows_the_include_rules():
    res = run_check(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def small_tree(tmp, extra_path=None, extra_include=None):
    write(tmp, "common/buf.h", "int buf_len(void);\n")
    write(tmp, "store/data/dict.c", '#include "common/buf.h"\n#include "store/data/dict.h"\n')
    write(tmp, "store/server.c", '#include "store/data/dict.h"\n#include "common/buf.h"\n')
    write(tmp, "sentinel/core/tick.c", '#include "sentinel/core/env.h"\n#include "local.h"\n')
    write(tmp, "sentinel/link.c", '#include "sentinel/core/env.h"\n')
    if extra_path:
        write(tmp, extra_path, '#include "common/buf.h"\n#include "%s"\n' % extra_include)


def test_a_tree_that_follows_the_rules_passes(proc_group):
    tmp = vigiltest.new_tmp_dir_in(proc_group.dir, "layers")
    small_tree(tmp)
    res = run_check(tmp)
    assert res.returncode == 0, res.stdout + res.stderr


CASES = [
    ("common/loop.c", "store/server.h"),             # common depends on nothing in the project
    ("store/data/dict.c", "store/reply.h"),          # data structures know no server
    ("store/cmd/cmd_x.c", "sentinel/core/env.h"),    # the two programs never meet
    ("sentinel/core/failover.c", "sentinel/link.h"), # the sans-IO core knows no shell
    ("sentinel/core/failover.c", "sentinel/http/http_api.h"),
    ("sentinel/http/http_api.c", "store/client.h"),
]


def test_each_wrong_way_include_is_named(proc_group):
    for path, inc in CASES:
        tmp = vigiltest.new_tmp_dir_in(proc_group.dir, "layers")
        small_tree(tmp, path, inc)
        res = run_check(tmp)
        assert res.returncode == 1, (path, inc, res.stdout)
        assert "%s:2: includes \"%s\"" % (path, inc) in res.stdout, res.stdout
