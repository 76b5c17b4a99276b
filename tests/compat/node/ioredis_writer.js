'use strict';
/*
 * ioredis_writer.js: ioredis (pinned in package-lock.json) as a Sentinel client, writing through
 * failovers for tests/compat/clients/test_ioredis.py.
 *
 * The client is configured the way its README says, and nothing more: `sentinels: [...]`,
 * `name: 'mymaster'`, default retry strategy, default offline queue and resend of unfulfilled
 * commands. SET and WAIT go out as one pipeline on the one connection.
 * With cfg.tls ({ca, cert, key}: file paths) every connection is TLS, as ioredis documents it:
 * `tls` for the data nodes with `enableTLSForSentinelMode`, `sentinelTLS` for the sentinels.
 * Usage: node ioredis_writer.js '<json config>' (see writer_common.js for config and output).
 */

const fs = require('fs');
const Redis = require('ioredis');
const common = require('./writer_common');

function main() {
  const cfg = common.parseConfig();
  const gen = common.makeGeneration();
  const opts = {
    sentinels: cfg.sentinels.map(([host, port]) => ({ host, port })),
    name: cfg.name,
  };
  if (cfg.tls) {
    const tls = { ca: fs.readFileSync(cfg.tls.ca), cert: fs.readFileSync(cfg.tls.cert),
                  key: fs.readFileSync(cfg.tls.key), checkServerIdentity: () => undefined };
    Object.assign(opts, { tls, sentinelTLS: tls, enableTLSForSentinelMode: true });
  }
  const redis = new Redis(opts);
  for (const what of ['close', 'reconnecting', 'end']) redis.on(what, () => gen.bump(what));
  redis.on('ready', () => common.emit({ ev: 'client', what: 'ready', t: common.nowUs(),
                                         port: redis.stream ? redis.stream.remotePort : null }));
  redis.on('error', (e) => common.emit({ ev: 'client', what: 'error', msg: common.errText(e),
                                         t: common.nowUs() }));
  const client = {
    async write(key, value) {
      const replies = await redis.pipeline().set(key, value).wait(1, cfg.wait_ms).exec();
      for (const [err] of replies) if (err) throw err;
      return replies[1][1];
    },
    readback: (keys) => redis.mget(keys),
    close: () => redis.quit(),
  };
  return common.runWriter(cfg, client, gen);
}

main().catch((e) => {
  common.emit({ ev: 'fatal', err: common.errText(e) });
  process.exit(1);
});
