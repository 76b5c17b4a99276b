#!/usr/bin/python3
"""Regenerate tests/unit/store/fixtures/redis70.{rdb,expected} with the real redis-server.

Why: test_rdb_read.c must prove that our decoder reads what Redis itself writes (int and LZF
string encodings, intsets, listpacks, quicklist-2 with packed and plain nodes, TTLs, several
dbs), so the fixture comes from Redis and not from our encoder. The .expected file lists, one
line per key, what was written, in the canonical form rdb_test_util.c builds from the decoder's
callbacks:

    <db> <type> <expire_ms> <key> <item> <item> ...

type is string|list|set|zset|hash; expire_ms is -1 without TTL; every string is `h:<hex>` when
at most 64 bytes, else `c:<len>:<crc64 hex>` (CRC-64/Jones, as store/rdb/crc64.c); hash items are
`<field>=<value>`, zset items `<member>@<hex of the score's IEEE-754 bits>`; set, hash and zset
items are sorted (their RDB order is Redis's business), list items are in order.

Run by hand: /usr/bin/python3 tests/unit/store/rdb_fixtures.py   (needs redis-server, redis-cli)
The server listens on 127.0.0.1 on a free port, persists nothing but the SAVE, and is stopped by
its pid.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
FAR_FUTURE_MS = 4102444800000  # 2100-01-01, so the fixture's TTLs never lapse


def crc64(data, crc=0):
    poly = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reversed
    table = []
    for b in range(256):
        r = b
        for _ in range(8):
            r = (r >> 1) ^ poly if r & 1 else r >> 1
        table.append(r)
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def canon(b):
    if len(b) <= 64:
        return "h:" + b.hex()
    return "c:%d:%016x" % (len(b), crc64(b))


def pseudo_random(n, seed):
    """Deterministic bytes, the same generator the C tests could use (LCG, high byte)."""
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out.append(x >> 56)
    return bytes(out)


def dataset():
    """[(db, key, type, expire_ms, value)]; value: bytes | [bytes] | {bytes: bytes|float}."""
    b = lambda s: s.encode() if isinstance(s, str) else s
    ints = ["0", "1", "127", "128", "-1", "-4096", "4095", "-4097", "4096", "32767", "-32768",
            "32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
            "9223372036854775807", "-9223372036854775808"]
    d = [
        (0, "s:plain", "string", -1, b"hello world"),
        (0, "s:empty", "string", -1, b""),
        (0, "s:int8", "string", -1, b"100"),
        (0, "s:int16", "string", -1, b"-30000"),
        (0, "s:int32", "string", -1, b"2000000000"),
        (0, "s:int64", "string", -1, b"9000000000000"),
        (0, "s:lead0", "string", -1, b"007"),
        (0, "s:binary", "string", -1, bytes(range(256))),
        (0, "s:lzf", "string", -1, b"abcdefghij" * 10000),
        (0, "s:random", "string", -1, pseudo_random(3000, 1)),
        (0, "s:ttl", "string", FAR_FUTURE_MS + 123, b"expiring"),
        (0, "k" * 80, "string", -1, b"long compressible key"),
        (0, "123", "string", -1, b"integer key"),
        (0, "l:small", "list", -1,
         [b(x) for x in ints] + [b"", b"a", b"b" * 63, b"c" * 64, b"d" * 4095, b"e" * 4096]),
        (0, "l:big", "list", -1, [b("item:%d" % i) for i in range(2000)]),
        (0, "l:huge_elems", "list", -1, [b"x" * 70000, b"tiny", pseudo_random(9000, 2)]),
        (0, "l:plain", "list", FAR_FUTURE_MS + 1, [b"p" * 2000, b"small", b"q" * 3000, b"7"]),
        (0, "set:int16", "set", -1, [b"1", b"2", b"3", b"-5"]),
        (0, "set:int64", "set", -1, [b"1", b"100000", b"5000000000", b"-5000000000"]),
        (0, "set:manyints", "set", -1, [b(str(i * 7 - 500)) for i in range(300)]),
        (0, "set:str", "set", FAR_FUTURE_MS + 2, [b"apple", b"banana", b"cherry"]),
        (0, "set:big", "set", -1, [b("m:%d" % i) for i in range(600)]),
        (0, "z:small", "zset", -1, {b"a": 1.0, b"b": 2.5, b"c": -3.0, b"d": float("inf"),
                                     b"e": float("-inf"), b"f": 1e100, b"g": 0.1,
                                     b"h": 12345678901.0, b"": 0.0}),
        (0, "z:big", "zset", -1, {b("zm:%d" % i): i * 1.5 - 100 for i in range(200)}),
        (0, "z:ttl", "zset", FAR_FUTURE_MS + 3, {b"only": 42.0}),
        (0, "h:small", "hash", -1, {b"f1": b"v1", b"n": b"42", b"neg": b"-7", b"empty": b"",
                                     b"big": b"99999999999"}),
        (0, "h:big", "hash", -1, {b("field:%d" % i): b("value:%d" % i) for i in range(300)}),
        (0, "h:longval", "hash", FAR_FUTURE_MS + 4, {b"f": b"v" * 100, b"g": b"w"}),
        (1, "db1:key", "string", -1, b"in db one"),
        (1, "db1:list", "list", -1, [b"x", b"y"]),
    ]
    return d


def quote(arg):
    if isinstance(arg, str):
        arg = arg.encode()
    return '"' + "".join(chr(c) if c < 128 and chr(c).isalnum() else "\\x%02x" % c for c in arg) + '"'


def commands(data):
    cmds = []
    db = 0
    for kdb, key, typ, exp, val in data:
        if kdb != db:
            cmds.append("SELECT %d" % kdb)
            db = kdb
        if typ == "string":
            cmds.append("SET %s %s" % (quote(key), quote(val)))
        elif typ == "list":
            if key == "l:plain":  # elements over the threshold get PLAIN quicklist nodes
                cmds.append("DEBUG QUICKLIST-PACKED-THRESHOLD 1000")
            for i in range(0, len(val), 100):
                cmds.append("RPUSH %s %s" % (quote(key), " ".join(quote(v) for v in val[i:i + 100])))
        elif typ == "set":
            cmds.append("SADD %s %s" % (quote(key), " ".join(quote(v) for v in val)))
        elif typ == "zset":
            cmds.append("ZADD %s %s" % (quote(key), " ".join(
                "%s %s" % (repr(s) if abs(s) != float("inf") else ("+inf" if s > 0 else "-inf"),
                           quote(m)) for m, s in val.items())))
        elif typ == "hash":
            cmds.append("HSET %s %s" % (quote(key), " ".join(
                "%s %s" % (quote(f), quote(v)) for f, v in val.items())))
        if exp >= 0:
            cmds.append("PEXPIREAT %s %d" % (quote(key), exp))
    return cmds


def expected_lines(data):
    lines = []
    for db, key, typ, exp, val in data:
        if typ == "string":
            items = [canon(val)]
        elif typ == "list":
            items = [canon(v) for v in val]
        elif typ == "set":
            items = sorted(canon(v) for v in val)
        elif typ == "zset":
            items = sorted("%s@%016x" % (canon(m), struct.unpack("<Q", struct.pack("<d", s))[0])
                           for m, s in val.items())
        else:
            items = sorted("%s=%s" % (canon(f), canon(v)) for f, v in val.items())
        lines.append(" ".join([str(db), typ, str(exp), canon(key.encode())] + items))
    return sorted(lines)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit("%s not found" % tool)
    data = dataset()
    tmp = tempfile.mkdtemp(prefix="vigil-rdbfix-")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp, "--dbfilename", "x.rdb",
         "--enable-debug-command", "yes", "--logfile", os.path.join(tmp, "log")])
    try:
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)]
        deadline = time.monotonic() + 10
        while subprocess.run(cli + ["ping"], capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("redis-server did not start")
            time.sleep(0.05)
        script = "\n".join(commands(data)) + "\n"
        out = subprocess.run(cli, input=script.encode(), capture_output=True, check=True).stdout
        if b"ERR" in out:
            sys.exit("redis-cli reported an error:\n" + out.decode(errors="replace"))
        subprocess.run(cli + ["save"], check=True, capture_output=True)
        os.makedirs(OUT, exist_ok=True)
        shutil.copy(os.path.join(tmp, "x.rdb"), os.path.join(OUT, "redis70.rdb"))
        with open(os.path.join(OUT, "redis70.expected"), "w") as f:
            f.write("\n".join(expected_lines(data)) + "\n")
        print("wrote %s (%d bytes)" % (os.path.join(OUT, "redis70.rdb"),
                                        os.path.getsize(os.path.join(OUT, "redis70.rdb"))))
    finally:
        server.terminate()  # our own child, by pid
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
