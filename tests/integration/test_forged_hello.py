"""Forged hello messages cannot redirect the sentinels.

Any client that can PUBLISH on the master can send `__sentinel__:hello` messages. A hello with a
newer config epoch naming another master address used to move every sentinel to it within a
second (+switch-master). The test starts a real group (vigiltest.deploy: master, two replicas,
three vigil-sentinels) and a fake master (a store of its own on a free port), then a plain
client publishes forged hellos on the master, and PUBLISHes one straight to a sentinel's port:

  1. from an invented sentinel, naming the fake master;
  2. copying a real sentinel's run id and address, naming the fake master;
  3. copying a real sentinel, naming a real replica that was never promoted.

Each is refused (a +config-update-rejected line with the reason in the log of every sentinel but
the copied one, which ignores its own run id; polled with a deadline), and `SENTINEL get-master-addr-by-name` stays the real master on every
sentinel, checked again after a further burst of forgeries lasting two hello periods. Real
failovers still propagate: test_sentinel_failover.py and test_http_api.py cover that.
"""

import time

import redis

from vigiltest import deploy, procs, store

HOST = deploy.HOST
MASTER = deploy.MASTER_NAME
HELLO_PERIOD_S = 2.0
INVENTED = "f0" * 20


def hello(ip, port, runid, epoch, master_ip, master_port):
    return "%s,%d,%s,%d,%s,%s,%d,%d" % (ip, port, runid, epoch, MASTER, master_ip, master_port,
                                        epoch)


def rejections(s, reason):
    return [ln for ln in s.proc.log_text().splitlines()
            if "+config-update-rejected" in ln and reason in ln]


def test_forged_hellos_do_not_move_any_sentinel(proc_group, node_kind):
    d = deploy.Deployment(proc_group, node_kind, http=False).start()
    fake = store.start_store(node_kind, name="fake-master")
    real = (HOST, d.master.port)
    assert all(s.master_addr() == real for s in d.sentinels)
    pub = d.master.client()
    peer = d.sentinels[1]
    peers = [dict(zip(e[::2], e[1::2])) for e in d.sentinels[0].cmd("SENTINEL", "SENTINELS", MASTER)]
    peer_id = next(p["runid"] for p in peers if int(p["port"]) == peer.port)
    never_promoted = d.replicas[0]
    cases = [
        ("invented sentinel", hello(HOST, procs.free_port(), INVENTED, 100, HOST, fake.port),
         "not from a sentinel we knew"),
        ("copied sentinel, fake master", hello(HOST, peer.port, peer_id, 101, HOST, fake.port),
         "not a known replica"),
        ("copied sentinel, real replica",
         hello(HOST, peer.port, peer_id, 102, HOST, never_promoted.port),
         "does not report role:master"),
    ]
    for what, payload, reason in cases:
        def refused_everywhere():
            pub.publish("__sentinel__:hello", payload)
            assert all(s.master_addr() == real for s in d.sentinels), what
            # The copied sentinel itself ignores hellos bearing its own run id.
            judges = [s for s in d.sentinels if s is not peer or payload.find(peer_id) < 0]
            return all(rejections(s, reason) for s in judges)
        procs.wait_until(refused_everywhere, 20, "every sentinel to refuse: " + what,
                         interval_s=0.1, ignore=(redis.ConnectionError,))

    # Straight to a sentinel's port, as sentinels send hellos to each other: still refused.
    target = d.sentinels[0]
    direct = hello(HOST, peer.port, peer_id, 103, HOST, fake.port)

    def refused_direct():
        target.cmd("PUBLISH", "__sentinel__:hello", direct)
        return any("config-epoch 103" in ln for ln in rejections(target, "not a known replica"))
    procs.wait_until(refused_direct, 20, "a direct forged hello to be refused", interval_s=0.1)

    # Two more hello periods of forgeries: nobody moves, nobody adopts a forged epoch.
    end = time.monotonic() + 2 * HELLO_PERIOD_S
    while time.monotonic() < end:
        for _, payload, _ in cases:
            pub.publish("__sentinel__:hello", payload)
        target.cmd("PUBLISH", "__sentinel__:hello", direct)
        assert all(s.master_addr() == real for s in d.sentinels)
        time.sleep(0.05)  # pacing the forger, not synchronizing
    for s in d.sentinels:
        flat = s.cmd("SENTINEL", "MASTER", MASTER)
        m = dict(zip(flat[::2], flat[1::2]))
        assert int(m["config-epoch"]) == 0, m
        assert "+switch-master" not in s.proc.log_text()
