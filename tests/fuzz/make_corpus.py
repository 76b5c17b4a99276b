#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses: tests/fuzz/corpus/<harness>/<seed>.

Why a script: the seeds are small valid inputs and edge cases written here by hand, plus real
replication streams and RDB payloads captured from a vigil-store and a redis-server that this
script starts (so the RDB seeds hold the encodings Redis really writes: listpacks, intsets,
quicklists, LZF and integer strings, TTLs). Re-running it rewrites every seed; the captured ones
differ from run to run (replication ids, timestamps), which is fine for seeds.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py   (needs bin/vigil-store and redis-server)
Servers listen on 127.0.0.1 on free ports, keep their files in a temporary folder, and are stopped
by their pids.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")


def write(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


# --- hand-written seeds ------------------------------------------------------------------------

def resp_seeds():
    # resp_request: first byte = piece size (low 4 bits) and small limits (bit 7)
    reqs = {
        "ping": cmd("PING"),
        "set": cmd("SET", "k", "v"),
        "pipeline": cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("GET", "a"),
        "inline": b'SET k "a b\\x41\\n" \'c\\\'d\'\r\nPING\n',
        "inline_unbalanced": b'SET "k\r\n',
        "empty": b"*0\r\n*-1\r\n\r\n",
        "binary": cmd("SET", b"\x00\xff\r\n", b"\r\n\x00"),
        "bad_len": b"*1\r\n$-2\r\n",
        "huge_len": b"*1\r\n$99999999999999999999\r\n",
        "huge_count": b"*2000000\r\n",
        "not_bulk": b"*1\r\n:1\r\n",
        "incomplete": b"*2\r\n$3\r\nGET\r\n$1\r\n",
        "missing_crlf": b"*1\r\n$4\r\nPINGxx",
    }
    for i, (name, data) in enumerate(sorted(reqs.items())):
        write("resp_request", name, bytes([(i * 5) % 16 | (0x80 if i % 3 == 0 else 0)]) + data)
    # resp_reader: first byte = piece size and small limits, second = depth limit
    vals = {
        "simple": b"+OK\r\n-ERR bad\r\n:42\r\n:-7\r\n",
        "bulk": b"$3\r\nfoo\r\n$0\r\n\r\n$-1\r\n",
        "array": b"*3\r\n$1\r\na\r\n:2\r\n*1\r\n+x\r\n*0\r\n*-1\r\n",
        "resp3_scalars": b"_\r\n,3.25\r\n,inf\r\n,-nan\r\n#t\r\n#f\r\n(12345678901234567890\r\n",
        "resp3_blobs": b"!5\r\nERR x\r\n=8\r\ntxt:abcd\r\n",
        "map_set_push": b"%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n+c\r\n>2\r\n+message\r\n$2\r\nhi\r\n",
        "attribute": b"|1\r\n+ttl\r\n:3\r\n*1\r\n|1\r\n+k\r\n+v\r\n:9\r\n",
        "nested": b"*1\r\n" * 10 + b":1\r\n",
        "streamed": b"$?\r\n;4\r\nabcd\r\n;0\r\n",
        "bad_type": b"?what\r\n",
        "bad_double": b",1.5x\r\n",
        "bad_verbatim": b"=3\r\ntxt\r\n",
    }
    for i, (name, data) in enumerate(sorted(vals.items())):
        write("resp_reader", name, bytes([(i * 7) % 32 | (0x80 if i % 4 == 0 else 0), 7]) + data)


def config_seeds():
    write("config_store", "full", """port: 7000
bind: [127.0.0.1, "::1"]
requirepass: "pa ss"
maxclients: 500
repl-timeout: 30
maxmemory: 64MB
loglevel: warning
replicaof: "[::1]:6380"
client-output-buffer-limit: normal 0 0 0 replica 256mb 64mb 60
""")
    write("config_store", "empty", "")
    write("config_store", "flow", "{port: 1, bind: [a, b], maxmemory: 1gb}\n")
    write("config_store", "errors", "port: -1\nport: 2\nnope: 1\nmaxmemory: 12xb\n")
    write("config_store", "anchors", "a: &x 10\nport: *x\n? complex\n: key\n")
    write("config_store", "not_a_map", "- 1\n- 2\n")
    write("config_store", "bad_utf8", b"port: \xff\xfe\n\t- x")
    write("config_sentinel", "full", """port: 26379
bind: 127.0.0.1
dir: /tmp
announce-ip: 10.0.0.5
masters:
  - name: mymaster
    host: 127.0.0.1
    port: 6379
    quorum: 2
    down-after: 1s
    failover-timeout: 10s
    parallel-syncs: 1
  - name: cache
    host: "::1"
    quorum: 1
    down-after: 500
http:
  bind: 127.0.0.1
  port: 26380
  token: "0123456789abcdef"
webhooks:
  - url: http://127.0.0.1:9000/hook
    events: ["+switch-master", "+odown"]
    secret: "s3cret"
    timeout: 2s
""")
    write("config_sentinel", "duplicate_master",
          "masters:\n  - {name: a, host: 1.2.3.4, quorum: 1}\n  - {name: a, host: h, quorum: 1}\n")
    write("config_sentinel", "bad_list", "masters: 3\nwebhooks:\n  - events: {a: 1}\n")
    write("config_sentinel", "many_masters",
          "masters:\n" + "".join("  - {name: m%d, host: 127.0.0.1, quorum: 2}\n" % i
                                 for i in range(12)))


def sentinel_seeds():
    myid = "0123456789abcdef0123456789abcdef01234567"
    write("state_file", "full", """{"version":1,"myid":"%s","current_epoch":7,
"masters":[{"name":"mymaster","host":"127.0.0.1","port":6379,"config_epoch":3,
"leader":"%s","leader_epoch":7,
"params":{"quorum":2,"down_after_ms":1000,"failover_timeout_ms":10000,"parallel_syncs":1,
"master_reboot_down_after_period_ms":0,"auth_pass":"p","auth_user":"u",
"notification_script":"","client_reconfig_script":"","renames":[{"from":"CONFIG","to":"C2"}]},
"replicas":[{"host":"127.0.0.1","port":6380},{"host":"::1","port":6381}],
"sentinels":[{"host":"127.0.0.1","port":26380,"runid":"%s"}]}],
"config_masters":{"mymaster":"fp"}}
""" % (myid, myid, myid.replace("0", "f")))
    write("state_file", "minimal", '{"version":1,"myid":"%s","current_epoch":0}' % myid)
    write("state_file", "wrong_types", '{"version":"1","current_epoch":-1,"masters":{}}')
    write("state_file", "big_epoch", '{"version":1,"myid":"","current_epoch":9007199254740993}')
    write("state_file", "truncated", '{"version":1,"masters":[{"name":"m","host":')
    write("state_file", "not_json", "version: 1\n")
    write("history", "records", "".join(
        '{"master":"%s","epoch":%d,"leader":"abc","phases":[{"name":"elected","at_ms":%d}]}\n'
        % (m, i, i * 10) for i, m in enumerate(["mymaster", "cache", "mymaster"])))
    write("history", "torn", '{"master":"m","epoch":1}\n{"master":"m","ep')
    write("history", "junk", '\n\r\n[1,2]\n{"master":7}\n{"nomaster":"x"}\nnot json\n{"master":""}\n')
    write("history", "long_line", '{"master":"m","pad":"%s"}\n' % ("x" * 3000))


# --- captured seeds: replication streams and RDB payloads ---------------------------------------

def hll_seeds():
    """Byte 0: hll-sparse-max-bytes / 16; then the value (Redis 7.0's HLL layout)."""
    hdr = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"
    write("hll", "empty", b"\xbb" + hdr + b"\x7f\xff")
    write("hll", "few_values", b"\xbb" + hdr + b"\x57\x31\x84\x68\xcc")
    write("hll", "joined_runs", b"\x02" + hdr + b"\x80\x83\x7f\xfa")
    write("hll", "one_short", b"\xbb" + hdr + b"\x7f\xfe")
    write("hll", "cut_xzero", b"\xbb" + hdr + b"\x7f")
    write("hll", "dense", b"\x00" + b"HYLL" + b"\x00" * 12 + bytes(range(256)) * 48)
    write("hll", "old_layout", b"\xbb" + b"VHLL\x01" + b"\x00" * 11 + b"\x80\x00")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(argv, port, tmp):
    log = open(os.path.join(tmp, "server-%d.log" % port), "wb")
    p = subprocess.Popen(argv, stdout=log, stderr=log, cwd=tmp)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return p
        except OSError:
            time.sleep(0.02)
    p.kill()
    sys.exit("server on port %d did not start" % port)


def call(sock, *args):
    sock.sendall(cmd(*args))
    data = b""
    while not data.endswith(b"\r\n"):
        data += sock.recv(65536)
    return data


def populate(port):
    s = socket.create_connection(("127.0.0.1", port))
    for args in [("SET", "s", "hello"), ("SET", "n", "12345"), ("SET", "neg", "-9"),
                 ("SET", "long", "a" * 100), ("SET", "ttl", "v", "PX", "100000000"),
                 ("RPUSH", "l", "a", "1", "b" * 70), ("SADD", "si", "1", "2", "300000"),
                 ("SADD", "ss", "x", "y"), ("HSET", "h", "f", "v", "n", "1"),
                 ("ZADD", "z", "1.5", "a", "-2", "b", "inf", "c"),
                 ("SELECT", "3"), ("SET", "db3", "x")]:
        call(s, *args)
    s.close()


def dump_seeds(side, port):
    """dump_payload: byte 0 = 0 (footer as made), then DUMP's reply for every kind of value."""
    s = socket.create_connection(("127.0.0.1", port))
    for args in [("RPUSH", "lbig") + tuple("item%d" % i for i in range(1500)),
                 ("HSET", "hbig") + tuple("f%d" % (i // 2) for i in range(1200)),
                 ("ZADD", "zbig") + tuple(str(i // 2) if i % 2 == 0 else "m%d" % i
                                          for i in range(400)),
                 ("SADD", "sbig") + tuple(str(i * 99991) for i in range(600)),
                 ("SADD", "i64", "1", "9223372036854775807"), ("PFADD", "hll", "a", "b")]:
        call(s, *args)
    for key in ("s", "n", "neg", "long", "l", "si", "ss", "h", "z", "lbig", "hbig", "zbig",
                "sbig", "i64", "hll"):
        s.sendall(cmd("DUMP", key))
        reply = b""
        while b"\r\n" not in reply:
            reply += s.recv(65536)
        first = reply.index(b"\r\n") + 2
        n = int(reply[1:first - 2])
        while len(reply) < first + n + 2:
            reply += s.recv(65536)
        write("dump_payload", "%s_%s" % (side, key), b"\x00" + reply[first:first + n])
    s.close()


def capture_sync(port, capa_eof):
    """The bytes a replica reads during a full sync and the first propagated writes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    replies = b""
    for args in [("PING",), ("REPLCONF", "listening-port", "1")] + \
            ([("REPLCONF", "capa", "eof", "capa", "psync2")] if capa_eof else
             [("REPLCONF", "capa", "psync2")]):
        replies += call(s, *args)
    s.sendall(cmd("PSYNC", "?", "-1"))
    stream = b""
    deadline = time.monotonic() + 10
    s.settimeout(0.5)
    writer = None
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            chunk = b""
        stream += chunk
        if writer is None and (b"REDIS" in stream and (len(stream) > 200)):
            writer = socket.create_connection(("127.0.0.1", port))
            call(writer, "SET", "after", "sync")
            call(writer, "DEL", "s")
            call(writer, "EXPIRE", "n", "100")
        if writer is not None and b"EXPIRE" in stream.upper() or b"PEXPIREAT" in stream:
            break
    s.close()
    if writer:
        writer.close()
    return replies, stream


def split_payload(stream):
    """(header line, payload, rest) from +FULLRESYNC ... onwards."""
    first = stream.index(b"\n") + 1
    body = stream[first:]
    while body.startswith(b"\n"):
        body = body[1:]
    nl = body.index(b"\n") + 1
    header = body[:nl]
    rest = body[nl:]
    if header.startswith(b"$EOF:"):
        mark = header[5:45]
        end = rest.index(mark)
        return header, rest[:end], rest[end + 40:]
    n = int(header[1:].strip())
    return header, rest[:n], rest[n:]


def captured_seeds():
    vigil = os.path.join(ROOT, "bin", "vigil-store")
    redis = shutil.which("redis-server")
    if not os.access(vigil, os.X_OK) or not redis:
        sys.exit("needs bin/vigil-store (make all) and redis-server")
    tmp = tempfile.mkdtemp(prefix="vigil-fuzz-corpus.")
    procs = []
    try:
        vp, rp = free_port(), free_port()
        procs.append(start([vigil, "--port", str(vp), "--bind", "127.0.0.1", "--dir", tmp], vp, tmp))
        procs.append(start([redis, "--port", str(rp), "--bind", "127.0.0.1", "--dir", tmp,
                            "--save", "", "--appendonly", "no", "--repl-diskless-sync", "yes",
                            "--repl-diskless-sync-delay", "0"], rp, tmp))
        for side, port in (("vigil", vp), ("redis", rp)):
            populate(port)
            dump_seeds(side, port)
            for eof in (False, True):
                replies, stream = capture_sync(port, eof)
                name = "%s_%s" % (side, "eof" if eof else "len")
                # repl_stream: options byte (no auth, no ip, 4-byte pieces), then the master's bytes
                write("repl_stream", name, b"\x0c" + replies + stream)
                header, payload, rest = split_payload(stream)
                write("rdb", name, b"\x00" + payload)              # as sent, real CRC
                write("rdb", name + "_nocrc", b"\x01" + payload)   # trailer zeroed
                write("repl_stream", name + "_continue",
                      b"\x0f+PONG\r\n+OK\r\n+OK\r\n+OK\r\n+CONTINUE\r\n" + rest)
    finally:
        for p in procs:
            p.terminate()
            p.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    write("rdb", "empty_v9", b"\x01REDIS0009\xff" + b"\x00" * 8)
    write("rdb", "old_v3", b"\x00REDIS0003\xfe\x00\x00\x01k\x01v\xff")
    write("rdb", "bad_magic", b"\x00RADIS0009\xff" + b"\x00" * 8)
    write("repl_stream", "errors", b"\x03-NOAUTH\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n-LOADING\r\n")
    write("repl_stream", "bad_header",
          b"\x00+PONG\n+OK\n+OK\n+FULLRESYNC " + b"a" * 40 + b" 0\n\n\n$-5\n")


def aof_seeds():
    """Byte 0 even: an AOF file's bytes; odd: a manifest (store/persist/aof_reader.c, _manifest.c)."""
    stream = cmd("SELECT", "0") + cmd("SET", "k", "v") + cmd("MULTI") + cmd("INCR", "n") + \
        cmd("EXEC") + cmd("SET", "bin", b"\x00\r\n\xff")
    write("aof_file", "commands", b"\x00" + stream)
    write("aof_file", "annotated", b"\x00#TS:1700000000\r\n" + stream + b"#TS:1700000001\r\n")
    write("aof_file", "torn_header", b"\x00" + stream + b"*3\r\n$3\r\nSET\r\n$1")
    write("aof_file", "torn_payload", b"\x00" + stream + b"*2\r\n$3\r\nDEL\r\n$5\r\nke")
    write("aof_file", "not_resp", b"\x00" + stream + b"SET k v\r\n")
    write("aof_file", "huge_count", b"\x00*99999999999\r\n$1\r\nx\r\n")
    write("aof_file", "manifest", b"\x01file appendonly.aof.3.base.rdb seq 3 type b\n"
          b"file appendonly.aof.2.incr.aof seq 2 type h\n"
          b"file appendonly.aof.3.incr.aof seq 3 type i\n")
    write("aof_file", "manifest_quoted", b"\x01# comment\r\ntype i seq 1 file \"a b\\x01\\\"\"\r\n")
    # a name whose quoted form is 4x its length: what we write must parse back
    write("aof_file", "manifest_long_name", b"\x01file " + b"\xff" * 255 + b" seq 1 type i\n")
    write("aof_file", "manifest_bad", b"\x01file a seq 1 type b\nfile b seq 1 type b\n")


SCRIPT_SEEDS = {
    "call": "return redis.call('GET', KEYS[1])",
    "pcall": "return redis.pcall('NOSUCH')",
    "types": "return {1, 'x', true, false, {ok='s'}, {err='E x'}, {double=1.5}, {map={a=1}}, "
             "{set={b=true}}, {big_number='12'}, {verbatim_string={format='txt', string='v'}}}",
    "nested": "local t = {} for i = 1, 2000 do t = {t} end return t",
    "globals": "local t = {} for k in pairs(_G) do t[#t + 1] = k end return t",
    "escape_package": "return package.loadlib('libc.so.6', 'system')",
    "escape_bytecode": "return loadstring(string.dump(function() return 1 end))()",
    "escape_load": "return load(function() return string.dump(function() end) end)()",
    "escape_rawset": "rawset(_G, 'x', 1)",
    "escape_metatable": "setmetatable(_G, nil) return os",
    "readonly": "redis.call = nil string.rep = nil",
    "spin": "while true do end",
    "memory": "local s = 'x' while true do s = s .. s end",
    "pcall_error": "return {pcall(error, {err='x'})}",
    "random": "math.randomseed(3) return {math.random(), math.random(10), math.random(2, 4)}",
    "cjson": "return cjson.encode(cjson.decode('[1,{\"a\":[2,3]},\"x\"]'))",
    "bit": "return {bit.band(5, 3), bit.bxor(1, 3), bit.lshift(1, 40)}",
    "coroutine": "local co = coroutine.create(function() coroutine.yield(1) end) "
                 "return {coroutine.resume(co)}",
    "shebang": "#!lua flags=no-writes\nreturn 1",
    "shebang_bad": "#!lua flags=nope\nreturn 1",
    "syntax": "return 'x",
    "struct": "local s = struct.pack('>!4 b i4 c0 s d', 1, 2, 'ab', 'cd', 1.5) "
              "return {struct.unpack('>!4 b i4 c2 s d', s)}",
    "struct_c0": "return {struct.unpack('b c0 I3', '\\3abc\\0\\0\\1')}",
}


def script_seeds():
    """script: byte 0 odd = a Lua script, even = a RESP3 reply to convert."""
    for name, body in SCRIPT_SEEDS.items():
        write("script", name, b"\x01" + body.encode())
    for name, reply in (("map", b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*2\r\n_\r\n#t\r\n"),
                        ("set", b"~2\r\n,1.5\r\n(123\r\n"),
                        ("error", b"-WRONGTYPE Operation\r\n"),
                        ("verbatim", b"=7\r\ntxt:abc\r\n"),
                        ("nulls", b"*3\r\n$-1\r\n*-1\r\n_\r\n")):
        write("script", "resp_" + name, b"\x00" + reply)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    script_seeds()
    resp_seeds()
    config_seeds()
    sentinel_seeds()
    hll_seeds()
    aof_seeds()
    captured_seeds()
    for h in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, h))
        size = sum(os.path.getsize(os.path.join(OUT, h, f)) for f in files)
        print("%-16s %2d seeds, %6d bytes" % (h, len(files), size))


if __name__ == "__main__":
    if sys.argv[1:] == ["script"]:      # only the scripting seeds (no servers needed)
        shutil.rmtree(os.path.join(OUT, "script"), ignore_errors=True)
        script_seeds()
    else:
        main()
