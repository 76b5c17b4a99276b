"""Differential tests: the same command scripts against vigil-store and Debian's redis-server,
comparing the exact bytes of every reply.

Why: vigil-store promises replies byte-identical to Redis 7 (errors included). Each script here
is a list of commands with the seed's patterns (cache, rate limiters, lock, session, pub/sub, queue,
leaderboard, tags, unique visitors) and their edge and error cases.

Script format (tests/compat/diff/*.txt; see README.md here for examples):

  SET k "a b" EX 10        one command per line, arguments split like redis-cli:
                           "..." with escapes \\n \\r \\t \\b \\a \\\\ \\" \\xHH,
                           '...' with \\' only.
                           The runner sends it on the current connection of both servers, reads
                           one reply from each and compares the EXACT bytes.
  # a comment              blank lines and whole-line comments are ignored
  @conn N                  switch to connection N (0..15, default 0), opened lazily on both
  @resp3 / @resp2          send HELLO 3 / HELLO 2 on this connection; replies not compared
                           (server and version fields differ) but must not be errors
  @ignore CMD ...          any reply is accepted (TIME, INFO, CLIENT ID, random picks)
  @type CMD ...            only the RESP type byte and, for aggregates, the element count
  @range LO HI CMD ...     both replies are integers within [LO, HI] (TTL, PTTL, big PFCOUNT)
  @sorted CMD ...          aggregates compared as multisets of elements; maps as sets of entries
                           (SMEMBERS, KEYS, RESP3 HGETALL)
  @pairs CMD ...           flat arrays compared as multisets of consecutive pairs (RESP2 HGETALL)
  @block CMD ...           send without reading a reply and wait until both servers count one
                           more blocked client (INFO clients blocked_clients); the reply comes
                           later by @read on this connection (BRPOP served by a push elsewhere)
  @read                    read one more reply on the current connection from both and compare
                           (pub/sub messages, the second SUBSCRIBE confirmation, unblocked pops)

Every script starts with fresh connections on an idle server after FLUSHALL. Scripts must be
deterministic between two redis-servers, must not CONFIG SET, and must never depend on time
passing (use past EXAT/PXAT times, or @range for TTLs).

Which scripts run against what:
  test_corpus_is_deterministic[script]   every script, redis-server vs a second redis-server:
                                         a self-check of the corpus (always runs).
  test_target_matches_redis[script]      every script, vigil-store vs redis-server; a missing
                                         bin/vigil-store fails them.
Environment:
  VIGIL_TARGET=redis   the target is redis-server too:
                       validates the runner and the corpus on redis-server.
  DIFF_KEEP_GOING=1    report every mismatch of a script, not only the first.
  VIGIL_BIN_DIR        where vigil-store lives (default <repo>/bin).
Run: scripts/run-pytests.sh tests/compat    (PYTEST_ARGS="-k strings" for one script)
"""

import glob
import os

import pytest

import vigiltest
from vigiltest import diffscript
from vigiltest.resp import Push, ReplyError, frame_end, parse_reply

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*.txt")))
TARGET_KIND = vigiltest.target_kind()
TARGET_SCRIPTS = SCRIPTS
KEEP_GOING = os.environ.get("DIFF_KEEP_GOING") == "1"


def _load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return diffscript.parse_script(f.read(), name)


# --- servers: one per role for the whole module ---------------------------------------------------

@pytest.fixture(scope="module")
def diff_group():
    group = vigiltest.ProcGroup("diff")
    yield group
    group.stop_all()


def _side(label, binary, group):
    def start():
        return vigiltest.start_store(binary, group=group, name=binary)
    side = diffscript.Side(label, start(), restart=start)
    return side


@pytest.fixture(scope="module")
def reference(diff_group):
    side = _side("redis-server", "redis-server", diff_group)
    yield side
    side.close()


@pytest.fixture(scope="module")
def twin(diff_group):
    side = _side("redis-server#2", "redis-server", diff_group)
    yield side
    side.close()


@pytest.fixture(scope="module")
def target(request, diff_group):
    if TARGET_KIND == "redis":
        yield request.getfixturevalue("twin")
        return
    vigiltest.require_binary(vigiltest.vigil_binary("vigil-store"))
    side = _side("vigil-store", "vigil-store", diff_group)
    yield side
    side.close()


def _run(name, left, right):
    runner = diffscript.DiffRunner(left, right, keep_going=KEEP_GOING)
    mismatches = runner.run(name, _load(name))
    if mismatches:
        pytest.fail("%d mismatch(es) in %s:\n%s" % (len(mismatches), name,
                                                    "\n".join(mismatches)), pytrace=False)


@pytest.mark.parametrize("name", SCRIPTS)
def test_corpus_is_deterministic(name, twin, reference):
    _run(name, twin, reference)


@pytest.mark.parametrize("name", TARGET_SCRIPTS)
def test_target_matches_redis(name, target, reference):
    _run(name, target, reference)


# --- the runner's own pieces ---------------------------------------------------------------------

def test_the_corpus_is_not_empty():
    assert len(TARGET_SCRIPTS) >= 20, TARGET_SCRIPTS


@pytest.mark.parametrize("line, expected", [
    ('SET k v', [b"SET", b"k", b"v"]),
    ('  SET   "a b"  \'c d\'  ', [b"SET", b"a b", b"c d"]),
    (r'SET k "x\n\r\t\"\\\x41\x7a"', [b"SET", b"k", b'x\n\r\t"\\Az']),
    (r"SET k 'it\'s \n'", [b"SET", b"k", b"it's \\n"]),
    ('SET "" \'\'', [b"SET", b"", b""]),
    ('SET k#1 v', [b"SET", b"k#1", b"v"]),
    ('SET "\u20ac"', [b"SET", "\u20ac".encode("utf-8")]),
])
def test_split_args_splits_like_redis_cli(line, expected):
    assert diffscript.split_args(line) == expected


@pytest.mark.parametrize("line", ['SET "abc', "SET 'abc", 'SET "a"b', "SET 'a'b"])
def test_split_args_rejects_bad_quotes(line):
    with pytest.raises(ValueError):
        diffscript.split_args(line)


@pytest.mark.parametrize("text", ["@range 1 X TTL k", "@conn x", "@nosuch GET k", "@type",
                                  "@read now", "@conn 16"])
def test_parse_script_rejects_bad_directives(text):
    with pytest.raises(diffscript.ScriptError, match="t.txt:1"):
        diffscript.parse_script(text, "t.txt")


def test_every_script_parses():
    for name in SCRIPTS:
        assert _load(name), "%s has no steps" % name


STREAM = (b"+OK\r\n-ERR x\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n"
          b"_\r\n,1.5\r\n#t\r\n(123\r\n!3\r\nerr\r\n=7\r\ntxt:abc\r\n%1\r\n+k\r\n~2\r\n:1\r\n:2\r\n"
          b">2\r\n+a\r\n+b\r\n|1\r\n+key\r\n+val\r\n:7\r\n$0\r\n\r\n")


def test_frame_end_finds_every_reply_at_every_split():
    expected = []
    pos = 0
    while pos < len(STREAM):
        end = frame_end(STREAM, pos)
        assert end is not None and end > pos
        expected.append(STREAM[pos:end])
        pos = end
    assert len(expected) == 17
    for cut in range(len(STREAM) + 1):
        buf = bytearray()
        got = []
        for chunk in (STREAM[:cut], STREAM[cut:]):
            buf += chunk
            while (end := frame_end(buf, 0)) is not None:
                got.append(bytes(buf[:end]))
                del buf[:end]
        assert got == expected and not buf, "split at %d" % cut


def test_parse_reply_maps_every_type_to_python_values():
    values = []
    pos = 0
    while pos < len(STREAM):
        end = frame_end(STREAM, pos)
        values.append(parse_reply(STREAM[pos:end]))
        pos = end
    assert values == ["OK", ReplyError("ERR x"), 12, b"abc", None, None, [b"a", [1]], None, 1.5,
                      True, 123, ReplyError("err"), b"abc", {"k": [1, 2]}, ["a", "b"], 7, b""]
    assert isinstance(values[14], Push)


def test_compare_modes_can_fail():
    step = diffscript.Step(1, "x", "sorted")
    assert diffscript.compare(step, b"*2\r\n:1\r\n:2\r\n", b"*2\r\n:2\r\n:1\r\n") is None
    assert diffscript.compare(step, b"*2\r\n:1\r\n:2\r\n", b"*2\r\n:2\r\n:2\r\n")
    step.mode = "pairs"
    a = b"*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n"
    b = b"*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n"
    swapped = b"*4\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\ng\r\n$1\r\n1\r\n"
    assert diffscript.compare(step, a, b) is None
    assert diffscript.compare(step, a, swapped)
    step.mode, step.lo, step.hi = "range", 0, 10
    assert diffscript.compare(step, b":3\r\n", b":10\r\n") is None
    assert diffscript.compare(step, b":3\r\n", b":11\r\n")
    assert diffscript.compare(step, b":3\r\n", b"$1\r\n3\r\n")
    step.mode = "type"
    assert diffscript.compare(step, b"$1\r\na\r\n", b"$2\r\nbb\r\n") is None
    assert diffscript.compare(step, b"*1\r\n:1\r\n", b"*2\r\n:1\r\n:1\r\n")
    step.mode = "exact"
    assert diffscript.compare(step, b"+OK\r\n", b"+ok\r\n")


# --- the runner must be able to fail -------------------------------------------------------

def _play_inline(text, twin, reference, read_timeout_s=diffscript.READ_TIMEOUT_S):
    """Play an inline script on fresh Sides over the module's two redis-servers."""
    sides = [diffscript.Side(s.label, s.store, read_timeout_s=read_timeout_s)
             for s in (twin, reference)]
    try:
        runner = diffscript.DiffRunner(*sides, keep_going=True)
        return runner.run("inline.txt", diffscript.parse_script(text, "inline.txt"))
    finally:
        for side in sides:
            side.close()


def test_runner_reports_differing_replies_with_line_and_both_replies(twin, reference):
    mismatches = _play_inline("SET k v\nCONFIG GET port\n@ignore CONFIG GET port\nGET k\n",
                              twin, reference)
    assert len(mismatches) == 1
    assert mismatches[0].startswith("inline.txt:2 [conn 0] CONFIG GET port")
    assert str(twin.store.port) in mismatches[0] and str(reference.store.port) in mismatches[0]


def test_runner_reports_a_command_that_should_block_but_replies(twin, reference):
    mismatches = _play_inline("@block BLPOP nokey 0\n@conn 1\n@block GET k\n", twin, reference)
    assert len(mismatches) == 1 and "inline.txt:3" in mismatches[0], mismatches


def test_runner_rejects_a_blocking_command_without_block(twin, reference):
    with pytest.raises(diffscript.ScriptError, match="needs @block"):
        _play_inline("BLPOP nokey 0\n", twin, reference, read_timeout_s=0.3)


def test_runner_reopens_the_connection_after_quit(twin, reference):
    assert _play_inline("SELECT 3\nSET k v\nQUIT\nGET k\nSELECT 3\nGET k\n",
                        twin, reference) == []
