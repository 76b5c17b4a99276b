"""A deployment where every link is TLS and every client logs in as a named ACL user (#22;
docs/tls.md#sentinel, docs/acl.md): vigil-stores on TLS ports only with `default` off, replicas
syncing as `repl`, vigil-sentinels on TLS logging in to the stores as `sentinel` and to each
other as `peer`, and an application using redis-py's Sentinel client (TLS, user `app`, limited
to app:* keys) towards both. It goes through a kill -9 failover and a SENTINEL FAILOVER
COORDINATED switchover; every write acknowledged by WAIT 1 must survive, and `app` stays
refused outside app:*. Every wait is a poll with a deadline.
"""

import pytest
import redis
import redis.sentinel

from vigiltest import deploy, new_tmp_dir, wait_until
from vigiltest.switchover import RETRY_LATER
from vigiltest.tlspki import make_pki

ADMIN, REPL, SENTINEL, PEER, APP = (("admin", "admin-pw-K3"), ("repl", "repl-pw-M8"),
                                    ("sentinel", "sent-pw-T5"), ("peer", "peer-pw-W2"),
                                    ("app", "app-pw-Z7"))
# The sentinel's user is docs/acl.md#the-sentinels-user's, plus what that list leaves out:
# VIGIL LEASE (the master-lease renewals) and FAILOVER (the coordinated switchover's
# FAILOVER TO / FAILOVER ABORT on the master). repl has what a replica needs.
STORE_USERS = [
    "user default off",
    "user %s on >%s ~* &* +@all" % ADMIN,
    "user %s on >%s ~app:* +@all -@dangerous" % APP,
    "user %s on >%s +psync +replconf +ping" % REPL,
    "user %s on >%s allchannels +multi +slaveof +replicaof +config|rewrite +client|kill +exec "
    "+info +publish +subscribe +ping +client|setname +acl|dryrun +role +script|kill +vigil|lease "
    "+failover" % SENTINEL,
]
# On the sentinels: peers may do only what peers do; app only what redis-py's Sentinel asks.
SENTINEL_USERS = [
    "user default off",
    "user %s on >%s ~* &* +@all" % ADMIN,
    "user %s on >%s -@all +ping +auth +hello +client|setname +publish +subscribe "
    "+sentinel|is-master-down-by-addr &*" % PEER,
    "user %s on >%s -@all +ping +auth +hello +sentinel|masters" % APP,
]
ACL = deploy.Acl(STORE_USERS, SENTINEL_USERS, admin=ADMIN, repl=REPL, sentinel=SENTINEL,
                 peer=PEER)
NOT_NOW = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.ReadOnlyError,
           redis.sentinel.MasterNotFoundError, OSError)


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def app_client(d, pki):
    """The application: redis-py's Sentinel over TLS as `app`, to the sentinels and the master."""
    login = dict(pki.redis_kwargs(), username=APP[0], password=APP[1], socket_timeout=2,
                 socket_connect_timeout=2)
    sentinel = redis.sentinel.Sentinel(d.sentinel_addrs, sentinel_kwargs=login, **login)
    return sentinel.master_for(deploy.MASTER_NAME)


def write_acked(master, acked, key, timeout_s=20):
    """SET key through the Sentinel client until a master accepts it and WAIT 1 says a replica
    has it (retrying while the group moves); then it is an acknowledged write."""
    def written():
        master.set(key, key)
        return master.execute_command("WAIT", 1, 2000) >= 1
    wait_until(written, timeout_s, "%s written as app and acknowledged by a replica" % key,
               ignore=NOT_NOW)
    acked.append(key)


def coordinated_switchover(d, timeout_s=20):
    """SENTINEL FAILOVER mymaster COORDINATED on the first sentinel's TLS port, as admin."""
    def accepted():
        try:
            return d.sentinels[0].cmd("SENTINEL", "FAILOVER", deploy.MASTER_NAME, "COORDINATED")
        except redis.ResponseError as exc:
            if str(exc).upper().startswith(RETRY_LATER):
                return None
            raise
    assert wait_until(accepted, timeout_s, "the coordinated switchover to be accepted",
                      ignore=(OSError, redis.ConnectionError, redis.TimeoutError)) == "OK"


def test_tls_and_named_users_through_a_failover_and_a_switchover(proc_group, pki):
    d = deploy.Deployment(proc_group, tls=pki, acl=ACL).start()
    # No anonymous access anywhere: default is off on the stores and the sentinels.
    for port in (d.master.port, d.sentinels[0].port):
        with redis.Redis(host=deploy.HOST, port=port, socket_timeout=2,
                         **pki.redis_kwargs()) as anon:
            with pytest.raises(redis.AuthenticationError):
                anon.ping()
    app, acked = app_client(d, pki), []
    for i in range(5):
        write_acked(app, acked, "app:before:%d" % i)
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("other:1", "v")

    killed, _ = d.kill_master()
    new = d.wait_switched(killed)
    assert d.wait_settled() == new
    for i in range(5):
        write_acked(app, acked, "app:after-failover:%d" % i)

    coordinated_switchover(d)
    after = d.wait_switched(new)
    assert d.wait_settled() == after
    for i in range(5):
        write_acked(app, acked, "app:after-switchover:%d" % i)

    assert app.connection_pool.get_master_address() == after
    assert [k for k in acked if app.get(k) != k.encode()] == []
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.get("other:1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.flushall()
