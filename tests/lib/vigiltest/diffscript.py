"""The differential script language: parse a command script, play it against two servers, and
report every reply whose bytes differ.

Why: vigil-store promises replies byte-identical to Redis 7. The surest check is to send the same
commands to vigil-store and to Debian's redis-server and compare the raw bytes. The language is
documented for script writers in tests/compat/diff/README.md; in short:

  COMMAND arg ...          send, read one reply from each server, compare the exact bytes
  # comment / blank line   ignored (only whole-line comments: '#' inside a line is an argument)
  @conn N                  switch to connection N (0..15; 0 is the default), opened lazily
  @resp3 / @resp2          send HELLO 3 / HELLO 2; both replies must be non-errors, not compared
  @ignore CMD ...          any reply is fine (TIME, INFO, CLIENT ID, random results)
  @type CMD ...            compare the type byte, and the element count of aggregates
  @range LO HI CMD ...     both replies are integers within [LO, HI] (TTL, PTTL, big PFCOUNT)
  @sorted CMD ...          aggregates compared as multisets of elements (maps: of entries)
  @pairs CMD ...           flat arrays compared as multisets of (even, odd) element pairs
  @block CMD ...           send without reading; wait until each server reports one more
                           blocked client (INFO clients: blocked_clients); read it later by @read
  @read                    read one more reply on the current connection from both; compare

Arguments are split as redis-cli splits them: "double quotes" with \\n \\r \\t \\b \\a \\\\ \\" and
\\xHH escapes, 'single quotes' with only \\' as an escape; a closing quote must end the argument.

Invariants: a script never waits on a fixed sleep (only on replies and on polled INFO with a
deadline); every read has a timeout; each script starts with fresh connections, an idle
server (connected_clients back to its count before the first script) and FLUSHALL; after a
reply to QUIT the runner waits for the close and reopens the connection lazily.
"""

import re

from . import procs
from .resp import (AGG_TYPES, PAIR_TYPES, ConnectionClosed, ReplyTimeout, RespConn,
                   aggregate_len, parse_reply, split_aggregate)

MAX_CONNS = 16
READ_TIMEOUT_S = 5.0
BLOCK_WAIT_S = 5.0
IDLE_WAIT_S = 5.0
CLOSED = b"<connection closed>"
TIMED_OUT = b"<no reply within the read timeout>"
REPR_LIMIT = 1500

CMD_DIRECTIVES = ("ignore", "type", "sorted", "pairs", "block")
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a", "\\": "\\", '"': '"'}


# What reset() restores between scripts: the only settings a script may CONFIG SET.
RESET_CONFIG = ("hash-max-listpack-entries", "512", "hash-max-listpack-value", "64",
                "set-max-intset-entries", "512", "zset-max-listpack-entries", "128",
                "zset-max-listpack-value", "64", "list-max-listpack-size", "-2")


class ScriptError(Exception):
    """The script itself is wrong (bad syntax, a command that blocks without @block, ...)."""


class Step:
    """One script line. mode: exact ignore type range sorted pairs block read conn hello."""

    def __init__(self, lineno, text, mode, args=(), lo=None, hi=None, number=None):
        self.lineno = lineno
        self.text = text
        self.mode = mode
        self.args = list(args)
        self.lo = lo
        self.hi = hi
        self.number = number      # @conn N, @resp2/@resp3

    def __repr__(self):
        return "Step(%d %s %r)" % (self.lineno, self.mode, self.args)


# --- parsing ------------------------------------------------------------------------------------

def split_args(line):
    """Split a line into byte-string arguments the way redis-cli does; raise ValueError if bad."""
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        quote = None
        while i < n:
            ch = line[i]
            if quote is None:
                if ch.isspace():
                    break
                if ch in "\"'":
                    quote = ch
                else:
                    cur += ch.encode("utf-8")
                i += 1
                continue
            if ch == quote:                      # closing quote must end the argument
                if i + 1 < n and not line[i + 1].isspace():
                    raise ValueError("closing quote must be followed by a space")
                quote = None
                i += 1
                break
            if ch == "\\" and i + 1 < n:
                i, chunk = _escape(line, i, quote)
                cur += chunk
                continue
            cur += ch.encode("utf-8")
            i += 1
        if quote is not None:
            raise ValueError("unbalanced quotes")
        args.append(bytes(cur))


def _escape(line, i, quote):
    """Decode the escape at line[i] == '\\'; return (next index, bytes)."""
    nxt = line[i + 1]
    if quote == "'":
        return (i + 2, b"'") if nxt == "'" else (i + 1, b"\\")
    if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", line[i + 2:i + 4] or ""):
        return i + 4, bytes([int(line[i + 2:i + 4], 16)])
    return i + 2, ESCAPES.get(nxt, nxt).encode("utf-8")


def _parse_line(lineno, line):
    text = line.strip()
    if not text.startswith("@"):
        return Step(lineno, text, "exact", split_args(text))
    word, _, rest = text[1:].partition(" ")
    rest = rest.strip()
    if word in ("resp2", "resp3", "read"):
        if rest:
            raise ValueError("@%s takes no arguments" % word)
        if word == "read":
            return Step(lineno, text, "read")
        return Step(lineno, text, "hello", [b"HELLO", word[-1].encode()], number=int(word[-1]))
    if word == "conn":
        if not re.fullmatch(r"\d+", rest) or int(rest) >= MAX_CONNS:
            raise ValueError("@conn needs a number 0..%d" % (MAX_CONNS - 1))
        return Step(lineno, text, "conn", number=int(rest))
    if word == "range":
        parts = rest.split(None, 2)
        if len(parts) < 3 or not all(re.fullmatch(r"-?\d+", p) for p in parts[:2]):
            raise ValueError("usage: @range LO HI COMMAND ...")
        return Step(lineno, text, "range", split_args(parts[2]), lo=int(parts[0]),
                    hi=int(parts[1]))
    if word in CMD_DIRECTIVES:
        args = split_args(rest)
        if not args:
            raise ValueError("@%s needs a command" % word)
        return Step(lineno, text, word, args)
    raise ValueError("unknown directive @%s" % word)


def parse_script(text, name="<script>"):
    """Parse a whole script into Steps; raise ScriptError naming the file and line."""
    steps = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            step = _parse_line(lineno, stripped)
        except ValueError as exc:
            raise ScriptError("%s:%d: %s: %s" % (name, lineno, exc, stripped)) from None
        if step.mode not in ("read", "conn", "hello") and not step.args:
            raise ScriptError("%s:%d: empty command" % (name, lineno))
        steps.append(step)
    return steps


# --- comparison ---------------------------------------------------------------------------------

def _multiset(frame, pairs):
    header, elems = split_aggregate(frame)
    if pairs or frame[0] in PAIR_TYPES:
        if len(elems) % 2:
            return header, None
        elems = [elems[i] + elems[i + 1] for i in range(0, len(elems), 2)]
    return header, sorted(elems)


def compare(step, left, right):
    """None if the replies agree under the step's mode, else a short reason."""
    if TIMED_OUT in (left, right) or CLOSED in (left, right):
        return None if left == right else "one side did not reply"
    mode = step.mode
    if mode == "ignore":
        return None
    if mode == "type":
        if left[:1] != right[:1]:
            return "reply types differ"
        if aggregate_len(left) != aggregate_len(right):
            return "aggregate lengths differ"
        return None
    if mode == "range":
        for frame in (left, right):
            value = parse_reply(frame) if frame[:1] == b":" else None
            if value is None or not step.lo <= value <= step.hi:
                return "not an integer in [%d, %d]" % (step.lo, step.hi)
        return None
    if mode in ("sorted", "pairs") and left[:1] == right[:1] and (
            left[0] in AGG_TYPES or left[0] in PAIR_TYPES):
        a, b = _multiset(left, mode == "pairs"), _multiset(right, mode == "pairs")
        if a[1] is None or b[1] is None:
            return "odd element count for @pairs"
        return None if a == b else "different elements (order ignored)"
    if mode == "hello":
        bad = [f for f in (left, right) if f[:1] in (b"-", b"!")]
        return "HELLO failed" if bad else None
    return None if left == right else "replies differ"


def _show(frame):
    text = repr(frame)
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "...(%d bytes)" % len(frame)


# --- playing a script ---------------------------------------------------------------------------

class Side:
    """One server under test: a control connection plus the script's connections 0..15.

    restart: optional callable returning a fresh Store, used when the server died during an
    earlier script so that one crash does not fail every later script.
    """

    def __init__(self, label, store, restart=None, read_timeout_s=READ_TIMEOUT_S):
        self.label = label
        self.store = store
        self.restart = restart
        self.read_timeout_s = read_timeout_s
        self.control = None
        self.conns = {}
        self.idle_clients = None    # connected_clients with no script connections open

    def _control(self):
        if self.control is None:
            self.control = RespConn(self.store.host, self.store.port, timeout_s=READ_TIMEOUT_S)
        return self.control

    def close(self):
        for conn in self.conns.values():
            conn.close()
        self.conns = {}
        if self.control is not None:
            self.control.close()
            self.control = None

    def info_int(self, section, field):
        """An integer field of INFO <section>, or None if the server does not report it."""
        reply = parse_reply(self._control().call_bytes("INFO", section))
        if not isinstance(reply, bytes):
            return None
        match = re.search(rb"^%s:(-?\d+)\r?$" % field.encode(), reply, re.M)
        return int(match.group(1)) if match else None

    def blocked_clients(self):
        value = self.info_int("clients", "blocked_clients")
        if value is None:
            raise ScriptError("%s: INFO clients has no blocked_clients field (@block needs it)"
                              % self.label)
        return value

    def reset(self):
        """Fresh state for the next script: no script connections, FLUSHALL done."""
        for conn in self.conns.values():
            conn.close()
        self.conns = {}
        if not self.store.is_alive():
            if self.restart is None:
                raise ScriptError("%s died:\n%s" % (self.label, self.store.proc.describe(40)))
            if self.control is not None:
                self.control.close()
                self.control = None
            self.store = self.restart()
            self.idle_clients = None
        if self.idle_clients is None:       # first reset: only control connections are open
            self.idle_clients = self.info_int("clients", "connected_clients")
        if self.idle_clients is not None:
            procs.wait_until(
                lambda: self.info_int("clients", "connected_clients") <= self.idle_clients,
                IDLE_WAIT_S, "%s to close the previous script's connections" % self.label)
        reply = self._control().call_bytes("FLUSHALL")
        if reply != b"+OK\r\n":
            raise ScriptError("%s: FLUSHALL replied %r" % (self.label, reply))
        # The settings scripts may change, back at redis-server's built-in defaults.
        reply = self._control().call_bytes("CONFIG", "SET", *RESET_CONFIG)
        if reply != b"+OK\r\n":
            raise ScriptError("%s: CONFIG SET %s replied %r" % (self.label, RESET_CONFIG, reply))

    def conn(self, number):
        conn = self.conns.get(number)
        if conn is not None and conn.pending_state() == "eof":
            conn.close()
            conn = None
        if conn is None:
            conn = RespConn(self.store.host, self.store.port, timeout_s=READ_TIMEOUT_S)
            self.conns[number] = conn
        return conn

    def drop(self, number):
        conn = self.conns.pop(number, None)
        if conn is not None:
            conn.close()

    def send(self, number, args, where):
        conn = self.conn(number)
        if conn.pending_state() == "data":
            raise ScriptError("%s: unread reply on conn %d before this line (missing @read?)"
                              % (where, number))
        try:
            conn.send_command(*args)
        except OSError:
            pass        # the read reports the closed connection

    def read(self, number):
        conn = self.conns.get(number)
        if conn is None:
            return CLOSED
        try:
            return conn.read_reply_bytes(self.read_timeout_s)
        except ReplyTimeout:
            return TIMED_OUT
        except (ConnectionClosed, OSError):
            self.drop(number)
            return CLOSED

    def wait_closed(self, number):
        """After QUIT: wait for the server to close, then forget the connection."""
        conn = self.conns.get(number)
        if conn is not None:
            procs.wait_until(lambda: conn.pending_state() == "eof", READ_TIMEOUT_S,
                             "%s to close the connection after QUIT" % self.label)
            self.drop(number)


class DiffRunner:
    """Plays scripts against a target Side and a reference Side and collects mismatches."""

    def __init__(self, target, reference, keep_going=False):
        self.sides = (target, reference)
        self.keep_going = keep_going

    def run(self, name, steps):
        """Play one script; return a list of mismatch reports (empty when all agree)."""
        for side in self.sides:
            side.reset()
        mismatches = []
        current = 0
        for step in steps:
            if step.mode == "conn":
                current = step.number
                continue
            where = "%s:%d" % (name, step.lineno)
            try:
                left, right, reason = self._play(step, current, where)
            except OSError as exc:      # a server went away: report it, do not go on
                mismatches.append("%s [conn %d] %s\n  cannot talk to a server: %r%s"
                                  % (where, current, step.text, exc, self._deaths()))
                break
            if left == right == TIMED_OUT:
                raise ScriptError("%s: %s: no reply from either server; a blocking command "
                                  "needs @block" % (where, step.text))
            if reason:
                mismatches.append(self._report(where, current, step, reason, left, right)
                                  + self._deaths())
                if not self.keep_going:
                    break
        return mismatches

    def _deaths(self):
        """The log tails of servers that are no longer running, for the report."""
        dead = [s for s in self.sides if not s.store.is_alive()]
        return "".join("\n  %s died:\n%s" % (s.label, s.store.proc.describe(30)) for s in dead)

    def _play(self, step, number, where):
        if step.mode == "read":
            left, right = (side.read(number) for side in self.sides)
            return left, right, compare(step, left, right)
        if step.mode == "block":
            return self._play_block(step, number, where)
        for side in self.sides:
            side.send(number, step.args, where)
        left, right = (side.read(number) for side in self.sides)
        if step.args[0].upper() == b"QUIT":
            for side, frame in zip(self.sides, (left, right)):
                if frame not in (CLOSED, TIMED_OUT):
                    side.wait_closed(number)
        return left, right, compare(step, left, right)

    def _play_block(self, step, number, where):
        before = [side.blocked_clients() for side in self.sides]
        for side in self.sides:
            side.send(number, step.args, where)
        replies = []
        for side, count in zip(self.sides, before):
            conn = side.conns[number]
            procs.wait_until(lambda: conn.pending_state() != "none"
                             or side.blocked_clients() > count,
                             BLOCK_WAIT_S, "%s to block on: %s" % (side.label, step.text))
            replies.append(side.read(number) if conn.pending_state() != "none" else None)
        if replies == [None, None]:
            return b"<blocked>", b"<blocked>", None
        left, right = (r if r is not None else b"<blocked>" for r in replies)
        return left, right, "expected the command to block on both servers"

    def _report(self, where, number, step, reason, left, right):
        width = max(len(s.label) for s in self.sides)
        return "%s [conn %d] %s\n  %s: %s\n  %s: %s\n  (%s)" % (
            where, number, step.text,
            self.sides[0].label.ljust(width), _show(left),
            self.sides[1].label.ljust(width), _show(right), reason)
