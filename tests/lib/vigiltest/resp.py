"""A tiny raw RESP client for tests: exact reply bytes, not a client library.

Why: redis-py decodes replies into Python values and hides the wire, but Vigil promises replies
that are byte-identical to Redis's. The differential runner and protocol tests need the EXACT bytes
of each reply, so this module sends commands as RESP arrays and cuts the incoming stream into
complete replies without interpreting them. A small parser turns one reply into Python values for
tests that only care about meaning.

Framing (no recursion, no nesting stack): a reply is a pre-order tree, so it is complete when the
count of items still expected reaches zero. Each header consumes one expected item and an aggregate
of n elements adds n more (2n for maps and attributes; an attribute also adds the reply it
annotates). RESP2 and RESP3 types are understood: + - : $ * _ , # ( ! = % ~ > |.
Streamed strings and aggregates (length '?') are not used by Redis and are rejected.

Invariants: a reply larger than max_reply_bytes is an error, never unbounded growth; a read never
blocks longer than its timeout; bytes after a complete reply stay buffered for the next read.
"""

import select
import socket
import time

LINE_TYPES = b"+-:_,#("      # one CRLF-terminated line
BLOB_TYPES = b"$!="          # <len>CRLF <len bytes> CRLF
AGG_TYPES = b"*~>"           # <n>CRLF then n replies
PAIR_TYPES = b"%|"           # <n>CRLF then 2n replies (| is followed by the annotated reply)
DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024


class RespProtocolError(Exception):
    """The server sent bytes that are not RESP."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection before a complete reply arrived."""


class ReplyTimeout(TimeoutError):
    """No complete reply arrived within the timeout."""


class ReplyError(Exception):
    """A parsed error reply (-ERR ... or !blob). Returned as a value, raised only on request."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __eq__(self, other):
        return isinstance(other, ReplyError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)


class Push(list):
    """A RESP3 push message ('>'), a list that remembers it was pushed."""


def encode_arg(arg):
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, (bytearray, memoryview)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, bool):
        raise TypeError("bool is not a RESP argument; pass 0/1 or a string")
    if isinstance(arg, (int, float)):
        return repr(arg).encode("ascii")
    raise TypeError("cannot encode %r as a RESP argument" % (arg,))


def encode_command(*args):
    """Encode one command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = encode_arg(arg)
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _line_end(buf, pos):
    """Index of the CR of the CRLF ending the line at pos, or -1 if not yet received."""
    return buf.find(b"\r\n", pos)


def _parse_len(buf, start, end):
    text = bytes(buf[start:end])
    try:
        return int(text)
    except ValueError:
        raise RespProtocolError("bad length %r" % text) from None


def frame_end(buf, pos=0):
    """End offset of the complete reply starting at buf[pos], or None if incomplete.

    Raises RespProtocolError on bytes that cannot start a reply.
    """
    need = 1
    while need > 0:
        if pos >= len(buf):
            return None
        kind = buf[pos]
        eol = _line_end(buf, pos + 1)
        if eol < 0:
            return None
        need -= 1
        if kind in LINE_TYPES:
            pos = eol + 2
        elif kind in BLOB_TYPES:
            n = _parse_len(buf, pos + 1, eol)
            if n < 0:                     # $-1: RESP2 null bulk
                pos = eol + 2
                continue
            end = eol + 2 + n + 2
            if end > len(buf):
                return None
            if bytes(buf[end - 2:end]) != b"\r\n":
                raise RespProtocolError("blob not terminated by CRLF")
            pos = end
        elif kind in AGG_TYPES or kind in PAIR_TYPES:
            n = _parse_len(buf, pos + 1, eol)
            pos = eol + 2
            if n < 0:                     # *-1: RESP2 null array
                continue
            need += 2 * n if kind in PAIR_TYPES else n
            if kind == ord("|"):
                need += 1                 # the annotated reply itself
        else:
            raise RespProtocolError("unknown reply type byte %r at offset %d"
                                    % (bytes([kind]), pos))
    return pos


def reply_type(frame):
    """The type byte of a complete reply as a one-character str ('+', '*', '%', ...)."""
    return chr(frame[0])


def aggregate_len(frame):
    """Declared element count of an aggregate reply (pairs for maps), or None for scalars."""
    if frame[0] in AGG_TYPES or frame[0] in PAIR_TYPES:
        return _parse_len(frame, 1, _line_end(frame, 1))
    return None


def split_aggregate(frame):
    """Split an aggregate reply into (header bytes, [exact bytes of each element]).

    Maps yield 2n elements (key, value, key, value, ...). Null aggregates yield no elements.
    """
    if frame[0] not in AGG_TYPES and frame[0] not in PAIR_TYPES:
        raise ValueError("not an aggregate reply: %r" % frame[:20])
    eol = _line_end(frame, 1)
    n = _parse_len(frame, 1, eol)
    pos = eol + 2
    header = bytes(frame[:pos])
    count = 2 * n if frame[0] in PAIR_TYPES else n
    elems = []
    for _ in range(max(count, 0)):
        end = frame_end(frame, pos)
        if end is None:
            raise RespProtocolError("truncated aggregate")
        elems.append(bytes(frame[pos:end]))
        pos = end
    return header, elems


def parse_reply(frame):
    """Turn the bytes of one complete reply into Python values.

    + -> str, - and ! -> ReplyError (returned, not raised), : and ( -> int, $ -> bytes,
    $-1 *-1 _ -> None, , -> float, # -> bool, = -> bytes (without its 'txt:' prefix),
    * -> list, ~ -> list, > -> Push, % -> dict (a list of pairs if a key is unhashable).
    Attributes are skipped.
    """
    value, end = _parse_at(frame, 0)
    if end != len(frame):
        raise RespProtocolError("trailing bytes after reply")
    return value


def _parse_at(buf, pos):
    kind = chr(buf[pos])
    eol = _line_end(buf, pos + 1)
    if eol < 0:
        raise RespProtocolError("truncated reply")
    line = bytes(buf[pos + 1:eol])
    nxt = eol + 2
    if kind == "+":
        return line.decode("utf-8", "replace"), nxt
    if kind == "-":
        return ReplyError(line.decode("utf-8", "replace")), nxt
    if kind in ":(":
        return int(line), nxt
    if kind == "_":
        return None, nxt
    if kind == ",":
        return float(line), nxt
    if kind == "#":
        return line == b"t", nxt
    if kind in "$!=":
        n = int(line)
        if n < 0:
            return None, nxt
        data = bytes(buf[nxt:nxt + n])
        if kind == "!":
            return ReplyError(data.decode("utf-8", "replace")), nxt + n + 2
        if kind == "=":
            data = data[4:]
        return data, nxt + n + 2
    if kind in "*~>":
        n = int(line)
        if n < 0:
            return None, nxt
        items = []
        for _ in range(n):
            item, nxt = _parse_at(buf, nxt)
            items.append(item)
        return (Push(items) if kind == ">" else items), nxt
    if kind in "%|":
        pairs = []
        for _ in range(int(line)):
            key, nxt = _parse_at(buf, nxt)
            val, nxt = _parse_at(buf, nxt)
            pairs.append((key, val))
        if kind == "|":
            return _parse_at(buf, nxt)    # the annotated reply; attributes are dropped
        try:
            return dict(pairs), nxt
        except TypeError:
            return pairs, nxt
    raise RespProtocolError("unknown reply type %r" % kind)


class RespConn:
    """One TCP connection speaking raw RESP. Not thread-safe; close() it (or use `with`)."""

    def __init__(self, host, port, timeout_s=5.0, max_reply_bytes=DEFAULT_MAX_REPLY_BYTES,
                 ssl_context=None):
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.max_reply_bytes = max_reply_bytes
        self.buf = bytearray()
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:   # TLS (vigiltest.tlspki): the handshake happens here
            self.sock = ssl_context.wrap_socket(self.sock)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send_raw(self, data):
        """Send bytes as they are (inline commands, malformed input, pipelines)."""
        self.sock.sendall(data)

    def send_command(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self, deadline_s):
        """Receive more bytes; raise ReplyTimeout or ConnectionClosed."""
        left = deadline_s - time.monotonic()
        if left <= 0:
            raise ReplyTimeout("no complete reply from %s:%d within %.1fs (have %r)"
                               % (self.host, self.port, self.timeout_s, bytes(self.buf[:200])))
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise ReplyTimeout("no complete reply from %s:%d (have %r)"
                               % (self.host, self.port, bytes(self.buf[:200]))) from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed("connection closed by %s:%d (unparsed %r)"
                                   % (self.host, self.port, bytes(self.buf[:200])))
        self.buf += chunk
        if len(self.buf) > self.max_reply_bytes:
            raise RespProtocolError("reply exceeds %d bytes" % self.max_reply_bytes)

    def read_reply_bytes(self, timeout_s=None):
        """Return the exact bytes of the next complete reply (RESP2 or RESP3, nested)."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            end = frame_end(self.buf, 0)
            if end is not None:
                frame = bytes(self.buf[:end])
                del self.buf[:end]
                return frame
            self._fill(deadline)

    def read_reply(self, timeout_s=None):
        return parse_reply(self.read_reply_bytes(timeout_s))

    def call_bytes(self, *args):
        self.send_command(*args)
        return self.read_reply_bytes()

    def call(self, *args, raise_on_error=False):
        """Send one command and return its parsed reply (errors as ReplyError values)."""
        value = parse_reply(self.call_bytes(*args))
        if raise_on_error and isinstance(value, ReplyError):
            raise value
        return value

    def pending_state(self):
        """Without blocking: 'none', 'data' (unread reply bytes) or 'eof' (peer closed)."""
        if self.buf:
            return "data"
        readable, _, _ = select.select([self.sock], [], [], 0)
        if not readable:
            return "none"
        try:
            peek = self.sock.recv(1, socket.MSG_PEEK)
        except ConnectionResetError:
            return "eof"
        return "data" if peek else "eof"

    def has_pending(self, timeout_s=0.0):
        """True if reply bytes are buffered or arrive within timeout_s (EOF counts as pending).

        For asserting that nothing was sent, e.g. a client that must still be blocked.
        """
        if self.buf:
            return True
        readable, _, _ = select.select([self.sock], [], [], timeout_s)
        return bool(readable)
