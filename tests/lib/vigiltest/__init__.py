"""vigiltest: shared helpers for Vigil's process-level tests (integration, compat, differential).

Import from the package, not the modules:

    from vigiltest import start_store, wait_until, free_port, Proc, RespConn

  procs     free_port, Proc, ProcGroup, group_scope, wait_until, new_tmp_dir, keep_tmp
  store     start_store, Store, target_kind, vigil_binary, redis_server_path, require_binary;
            waits on a store's state: wait_synced / is_synced (replication offsets), start_replica_of,
            info_field,
            blocked_clients, block_client (send a blocking command, wait until it blocks),
            config_set_replies (CONFIG SET/GET reply bytes, to compare with redis-server's)
  resp      RespConn (raw RESP, exact reply bytes), encode_command, frame_end, parse_reply
  diffscript  the differential script language (parse_script, DiffRunner)
  siblings  load_sibling: another test file's helpers as a module
  deploy    the one deployment builder (Deployment, start_data_node, start_sentinel, ...):
            import it as a module (`from vigiltest import deploy`)
  switchover  a manual switchover by the sentinels' method (used by deploy.Deployment)
  sentinel_http  HTTP client helpers (http_call, parse_prometheus)
  skipcheck the pytest plugin failing a run on a skip not on tests/skip-allowlist.txt

tests/conftest.py puts tests/lib on sys.path and provides the fixtures (proc_group, test_dir,
store, redis_store). Everything runs under /usr/bin/python3 (Debian's redis and pytest modules).
"""

from .procs import (AVOID_PORTS, Proc, ProcExited, ProcGroup, WaitTimeout, current_group,
                    free_port, group_scope, keep_tmp, live_procs, new_tmp_dir, new_tmp_dir_in,
                    run_tmp_root, tmp_is_kept, wait_until)
from .resp import (ConnectionClosed, Push, ReplyError, ReplyTimeout, RespConn, RespProtocolError,
                   encode_command, frame_end, parse_reply, split_aggregate)
from .siblings import load_sibling
from .store import (BinaryMissing, Store, block_client, blocked_clients, config_set_replies,
                    info_field, is_synced, redis_server_path, require_binary, resolve_store_binary,
                    start_replica_of, start_store, target_kind, vigil_bin_dir, vigil_binary, wait_synced)

__all__ = [
    "AVOID_PORTS", "BinaryMissing", "ConnectionClosed", "Proc", "ProcExited", "ProcGroup", "Push",
    "ReplyError", "ReplyTimeout", "RespConn", "RespProtocolError", "Store", "WaitTimeout",
    "block_client", "blocked_clients", "config_set_replies", "current_group", "encode_command", "frame_end", "free_port",
    "group_scope", "info_field", "is_synced", "keep_tmp", "live_procs", "load_sibling",
    "new_tmp_dir", "new_tmp_dir_in", "parse_reply", "redis_server_path", "require_binary",
    "resolve_store_binary", "run_tmp_root", "split_aggregate", "start_replica_of", "start_store", "target_kind",
    "tmp_is_kept", "vigil_bin_dir", "vigil_binary", "wait_synced", "wait_until",
]
