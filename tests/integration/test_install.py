"""An install an operator can deploy as is.

- `make install` (DESTDIR, PREFIX) lays out the three programs, the systemd units, sysusers.d,
  tmpfiles.d, the logrotate recipe and the production configs (0640; an existing config is
  never overwritten). systemd-sysusers and systemd-tmpfiles, run on the installed tree with
  --root, create the vigil user and its 0750 folders; `systemd-analyze verify` accepts the
  installed units without a warning, and their ExecStartPre (--check-config) passes.
- `--check-config FILE` exits 0 or 1 with the same file:line:column messages a start prints,
  and starts nothing (no port, nothing written in `dir`).
- The production configs, run in a network namespace this test creates where 10.0.0.1 exists,
  listen where their comments say (10.0.0.1 and 127.0.0.1), and vigilctl with no address or
  port option reaches the production sentinel's HTTP API.
"""

import os
import re
import shutil
import socket
import stat
import subprocess

import pytest

import vigiltest
from vigiltest import store, wait_until

ROOT = store.REPO_ROOT
PROD = os.path.join(ROOT, "configs", "production")


def make_install(**variables):
    args = ["make", "--no-print-directory", "-C", ROOT, "install",
            "BIN=%s" % vigiltest.vigil_bin_dir()]
    args += ["%s=%s" % kv for kv in variables.items()]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=300)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    assert path, "%s is missing: scripts/deps.sh installs it (Debian's systemd)" % name
    return path


def test_make_install_lays_out_everything_with_safe_modes(test_dir):
    dest = os.path.join(test_dir, "dest")
    make_install(DESTDIR=dest, PREFIX="/usr/local")
    p = lambda rel: os.path.join(dest, rel.lstrip("/"))
    for b in ("vigil-store", "vigil-sentinel", "vigilctl"):
        assert mode(p("/usr/local/bin/" + b)) == 0o755
    for f in ("/usr/local/lib/systemd/system/vigil-store.service",
              "/usr/local/lib/systemd/system/vigil-sentinel.service",
              "/usr/local/lib/sysusers.d/vigil.conf", "/usr/local/lib/tmpfiles.d/vigil.conf",
              "/etc/logrotate.d/vigil"):
        assert mode(p(f)) == 0o644, f
    assert mode(p("/etc/vigil")) == 0o750
    for conf in ("store.yaml", "sentinel.yaml"):
        assert mode(p("/etc/vigil/" + conf)) == 0o640  # passwords inside: not world-readable
    # The operator's edited config survives a second install; the new example goes next to it.
    with open(p("/etc/vigil/store.yaml"), "a") as f:
        f.write("# edited by the operator\n")
    out = make_install(DESTDIR=dest, PREFIX="/usr/local").stdout
    assert "edited by the operator" in open(p("/etc/vigil/store.yaml")).read()
    assert os.path.exists(p("/etc/vigil/store.yaml.new")) and "kept" in out


def test_sysusers_and_tmpfiles_create_the_user_and_its_folders(test_dir):
    root = os.path.join(test_dir, "root")
    make_install(DESTDIR=root)
    subprocess.run([tool("systemd-sysusers"), "--root=" + root], check=True,
                   capture_output=True, timeout=60)
    entry = [line.split(":") for line in open(os.path.join(root, "etc/passwd"))
             if line.startswith("vigil:")]
    assert entry, "systemd-sysusers created no vigil user"
    uid = int(entry[0][2])
    subprocess.run([tool("systemd-tmpfiles"), "--root=" + root, "--create"], check=True,
                   capture_output=True, timeout=60)
    for d in ("var/lib/vigil", "var/lib/vigil/store", "var/lib/vigil/sentinel", "var/log/vigil"):
        st = os.stat(os.path.join(root, d))
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o750), d


def test_installed_units_pass_systemd_analyze_verify(test_dir):
    # A real PREFIX (not DESTDIR), so the units' ExecStart paths exist for verify to check.
    prefix, etc = os.path.join(test_dir, "usr"), os.path.join(test_dir, "etc")
    make_install(PREFIX=prefix, SYSCONFDIR=etc)
    units = [os.path.join(prefix, "lib/systemd/system", u)
             for u in ("vigil-store.service", "vigil-sentinel.service")]
    r = subprocess.run([tool("systemd-analyze"), "verify"] + units, capture_output=True,
                       text=True, timeout=120)
    ours = [line for line in (r.stdout + r.stderr).splitlines() if "vigil" in line]
    assert r.returncode == 0 and not ours, r.stdout + r.stderr
    for unit in units:
        text = open(unit).read()
        assert "ExecStart=%s/bin/" % prefix in text and "%s/vigil/" % etc in text
        pre = re.search(r"^ExecStartPre=(.*)$", text, re.M).group(1).split()
        check = subprocess.run(pre, capture_output=True, text=True, timeout=30)
        assert check.returncode == 0 and "configuration OK" in check.stdout, check


# --- --check-config ----------------------------------------------------------------------------

BAD_STORE = "port: 6379\nmaxclients: -5\nbogus: 1\n"
BAD_SENTINEL = ("port: 26379\nbogus: 1\nmasters:\n  - name: m\n    host: 127.0.0.1\n"
                "    port: 6379\n")


def run_bin(name, *args):
    b = vigiltest.require_binary(vigiltest.vigil_binary(name))
    return subprocess.run([b] + list(args), capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("name,bad", [("vigil-store", BAD_STORE),
                                      ("vigil-sentinel", BAD_SENTINEL)])
def test_check_config_reports_like_a_start_and_starts_nothing(test_dir, name, bad):
    path = os.path.join(test_dir, "bad.yaml")
    with open(path, "w") as f:
        f.write(bad)
    checked = run_bin(name, "--check-config", path)
    started = run_bin(name, path)  # refused at once: the same messages
    assert checked.returncode == 1 and started.returncode == 1
    assert re.search(r"bad\.yaml:\d+:\d+: ", checked.stderr), checked.stderr
    assert checked.stderr == started.stderr
    assert checked.stdout == ""
    # A good file: exit 0, and nothing bound or written (a port that is in use stays usable).
    port = vigiltest.free_port()
    data = vigiltest.new_tmp_dir_in(test_dir, "data")
    good = os.path.join(test_dir, "good.yaml")
    with open(good, "w") as f:
        f.write("port: %d\nbind: 127.0.0.1\ndir: %s\n" % (port, data))
        if name == "vigil-sentinel":
            f.write("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n"
                    "    quorum: 1\n")
    with socket.socket() as held:
        held.bind(("127.0.0.1", port))  # a start would fail on it; a check must not care
        held.listen(1)
        ok = run_bin(name, "--check-config", good)
    assert ok.returncode == 0 and "configuration OK" in ok.stdout, ok
    assert os.listdir(data) == []


@pytest.mark.parametrize("name,conf", [("vigil-store", "store.yaml"),
                                       ("vigil-sentinel", "sentinel.yaml")])
def test_production_configs_pass_check_config(name, conf):
    r = run_bin(name, "--check-config", os.path.join(PROD, conf))
    assert r.returncode == 0, r.stderr


# --- the production configs, run where 10.0.0.1 exists ------------------------------------------

PING_ONE = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"PING\r\n")
sys.stdout.write(repr(s.recv(100)))
"""


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture
def prod_namespace():
    """A network namespace where lo is up and holds 10.0.0.1 (removed afterwards)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.fail("this test needs root and iproute2's `ip` to create a network namespace")
    ns = "vgprod%d" % (os.getpid() % 100000)
    try:
        for args in (("netns", "add", ns), ("-n", ns, "link", "set", "lo", "up"),
                     ("-n", ns, "addr", "add", "10.0.0.1/32", "dev", "lo")):
            assert run("ip", *args).returncode == 0, args
        yield ns
    finally:
        run("ip", "netns", "del", ns)


def answers(ns, host, port):
    r = run("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PING_ONE, host, str(port))
    return r.returncode == 0 and ("NOAUTH" in r.stdout or "PONG" in r.stdout)


def test_production_configs_listen_where_their_comments_say(proc_group, test_dir,
                                                            prod_namespace):
    ns = prod_namespace
    in_ns = ["ip", "netns", "exec", ns]
    store_dir = vigiltest.new_tmp_dir_in(test_dir, "store")
    sent_dir = vigiltest.new_tmp_dir_in(test_dir, "sentinel")
    vigiltest.Proc(in_ns + [vigiltest.vigil_binary("vigil-store"),
                            os.path.join(PROD, "store.yaml"), "--dir", store_dir],
                   name="prod-store", cwd=store_dir)
    vigiltest.Proc(in_ns + [vigiltest.vigil_binary("vigil-sentinel"),
                            os.path.join(PROD, "sentinel.yaml"), "--dir", sent_dir],
                   name="prod-sentinel", cwd=sent_dir)
    for host in ("10.0.0.1", "127.0.0.1"):  # bind: [10.0.0.1, 127.0.0.1] in both files
        for port in (6379, 26379):
            wait_until(lambda: answers(ns, host, port), 15, "%s:%d to answer" % (host, port))
    # vigilctl with no --sentinel: its default address is the production sentinel's HTTP port.
    env = dict(os.environ, VIGIL_TOKEN="long-random-token")
    env.pop("VIGIL_SENTINELS", None)
    ctl = in_ns + [vigiltest.vigil_binary("vigilctl"), "--config", os.devnull, "master",
                   "mymaster"]

    def master_known():
        r = run(*ctl, env=env)
        return r.returncode == 0 and "10.0.0.1 6379" in r.stdout
    wait_until(master_known, 20, "vigilctl (defaults) to print the production master")
