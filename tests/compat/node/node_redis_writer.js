'use strict';
/*
 * node_redis_writer.js: node-redis 6 (pinned in package-lock.json) `createSentinel`, writing
 * through failovers for tests/compat/clients/test_node_redis.py.
 *
 * Defaults only: RESP3 (node-redis 6 sends HELLO 3 to sentinels and nodes), a master pool of one
 * client, the library's own re-observe on sentinel events and READONLY. SET and WAIT go out as
 * one pipeline (multi().exec(true): no MULTI/EXEC is sent) on one leased master connection.
 * (sentinel.use() would also lease one connection, but costs ~200 ms per call in 6.3.1.)
 * Usage: node node_redis_writer.js '<json config>' (see writer_common.js).
 * Extra output: {"ev":"hello","resp":N,...} from CLIENT INFO on the master connection.
 */

const { createSentinel } = require('redis');
const common = require('./writer_common');

async function reportProtocol(sentinel) {
  try {
    const info = await sentinel.use((c) => c.clientInfo());
    common.emit({ ev: 'hello', resp: Number(info.resp), lib_name: info['lib-name'] || null });
  } catch (e) {
    common.emit({ ev: 'hello', resp: null, err: common.errText(e) });
  }
}

async function main() {
  const cfg = common.parseConfig();
  const gen = common.makeGeneration();
  const sentinel = createSentinel({
    name: cfg.name,
    sentinelRootNodes: cfg.sentinels.map(([host, port]) => ({ host, port })),
  });
  sentinel.on('error', (e) => common.emit({ ev: 'client', what: 'error', msg: common.errText(e),
                                            t: common.nowUs() }));
  sentinel.on('topology-change', (ev) => gen.bump('topology-change', {
    type: ev.type, port: ev.node ? Number(ev.node.port) : null }));
  sentinel.on('client-error', (ev) => gen.bump('client-error', {
    type: ev.type, msg: common.errText(ev.error) }));
  await sentinel.connect();
  await reportProtocol(sentinel);
  const client = {
    async write(key, value) {
      const [ok, n] = await sentinel.multi().set(key, value).wait(1, cfg.wait_ms).exec(true);
      if (ok !== 'OK') throw new Error(`SET answered ${ok}`);
      return n;
    },
    readback: (keys) => sentinel.mGet(keys),
    close: () => sentinel.close(),
  };
  return common.runWriter(cfg, client, gen);
}

main().catch((e) => {
  common.emit({ ev: 'fatal', err: common.errText(e) });
  process.exit(1);
});
