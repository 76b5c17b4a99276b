"""<CMD> HELP on vigil-store: our own words, in the shape clients and people expect.

HELP is documentation, not protocol: no client parses it, so its text is written for vigil-store
and describes what vigil-store does, never copied from Redis. What stays as Redis has it is the
shape (an array of simple-string lines, RESP2 and RESP3 alike: a first line naming the command,
then one unindented synopsis line per subcommand followed by indented lines saying what it
does, ending with HELP) and the errors of HELP with extra arguments (those are compared byte
for byte with redis-server in tests/compat/diff/server_help.txt).

For every container whose COMMAND LIST has a `<cmd>|help` entry this checks, on vigil-store:
the reply's shape, that every subcommand COMMAND LIST shows for that container is named in the
text and every synopsis line names one of them, and that no line is one of redis-server's HELP
lines for the same command, except short synopsis lines (under 30 characters: "GET <pattern>"
can only be written one way) and "HELP" itself. That last check keeps the words ours.

Each test starts its own vigil-store and redis-server on free ports (the harness stops them).
"""

import re

import vigiltest
from vigiltest import RespConn
from vigiltest.resp import reply_type, split_aggregate

# With cluster mode off Redis answers every CLUSTER subcommand, HELP included, with this error;
# vigil-store has no cluster mode and answers the same (store/cmd/cmd_absent.c).
ERROR_INSTEAD_OF_HELP = {"cluster": b"-ERR This instance has cluster support disabled\r\n"}
SHORT_SYNOPSIS_CHARS = 30


def _start_pair():
    vigiltest.require_binary(vigiltest.redis_server_path())
    return vigiltest.start_store("vigil", name="vigil"), vigiltest.start_store("redis", name="redis")


def _containers(conn):
    """{container: [subcommand, ...]} of every COMMAND LIST entry "<container>|<sub>"."""
    subs = {}
    for name in conn.call("COMMAND", "LIST"):
        if b"|" in name:
            container, sub = name.decode().lower().split("|", 1)
            subs.setdefault(container, []).append(sub)
    return {c: s for c, s in subs.items() if "help" in s}


def _help_lines(conn, container):
    """The HELP reply as a list of str, after checking it is an array of simple strings."""
    frame = conn.call_bytes(container.upper(), "HELP")
    assert reply_type(frame) == "*", (container, frame[:200])
    _, elems = split_aggregate(frame)
    assert elems, container
    for e in elems:
        assert e.startswith(b"+") and e.endswith(b"\r\n"), (container, e)
    return [e[1:-2].decode() for e in elems]


def _names_word(text, word):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(word), text, re.IGNORECASE) is not None


def _check_shape(container, subs, lines):
    first, entries = lines[0], lines[1:]
    assert first.upper().startswith(container.upper() + " "), first
    assert "subcommand" in first, first
    assert entries[-2:] and entries[-2] == "HELP" and entries[-1].startswith("    "), entries[-2:]
    text = "\n".join(entries)
    missing = [s for s in subs if not _names_word(text, s)]
    assert not missing, "%s HELP does not name %s" % (container.upper(), missing)
    for line in entries:
        if line.startswith(" ") or line == "(no subcommand)":
            continue
        word = line.split()[0].lower()
        assert word in subs, "%s HELP lists %r, which COMMAND LIST does not have" % (
            container.upper(), line)


def _copied_lines(ours, theirs):
    """Our lines that are also redis-server's, beyond short synopses and "HELP"."""
    theirs = set(theirs)
    return [line for line in ours if line in theirs and line != "HELP"
            and (line.startswith(" ") or len(line) >= SHORT_SYNOPSIS_CHARS)]


def test_every_help_has_the_shape_names_every_subcommand_and_is_our_own_text():
    vigil, redis = _start_pair()
    with RespConn(vigil.host, vigil.port) as ours, RespConn(redis.host, redis.port) as ref:
        containers = _containers(ours)
        assert {"config", "client", "object", "function"} <= set(containers), containers
        for container, subs in sorted(containers.items()):
            if container in ERROR_INSTEAD_OF_HELP:
                expected = ERROR_INSTEAD_OF_HELP[container]
                assert ours.call_bytes(container.upper(), "HELP") == expected
                assert ref.call_bytes(container.upper(), "HELP") == expected
                continue
            lines = _help_lines(ours, container)
            _check_shape(container, subs, lines)
            ref_reply = ref.call(container.upper(), "HELP")
            ref_lines = ref_reply if isinstance(ref_reply, list) else []
            copied = _copied_lines(lines, ref_lines)
            assert not copied, "%s HELP repeats redis-server's lines: %s" % (
                container.upper(), copied)


def test_help_is_an_array_of_simple_strings_under_resp3_too():
    vigil = vigiltest.start_store("vigil", name="vigil")
    with RespConn(vigil.host, vigil.port) as resp2, RespConn(vigil.host, vigil.port) as resp3:
        resp3.call("HELLO", "3", raise_on_error=True)
        containers = _containers(resp2)
        assert {"config", "client", "object", "function"} <= set(containers), containers
        for container in sorted(containers):
            if container in ERROR_INSTEAD_OF_HELP:
                continue
            assert resp3.call_bytes(container.upper(), "HELP") == resp2.call_bytes(
                container.upper(), "HELP"), container
