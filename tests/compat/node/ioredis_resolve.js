'use strict';
/*
 * ioredis_resolve.js: which master ioredis (pinned in package-lock.json) resolves through a list
 * of sentinels, for tests/compat/clients/test_ioredis.py (an isolated sentinel listed first).
 *
 * Configured as ioredis's README says (`sentinels`, `name`), it writes one key and prints one
 * JSON line: {"port": <the node it wrote to>} or {"error": "..."}. Bounded: it gives up after
 * 20 s (then exits 1).
 * Usage: node ioredis_resolve.js '{"sentinels": [[host, port], ...], "name": "mymaster"}'
 */

const Redis = require('ioredis');

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const redis = new Redis({
    sentinels: cfg.sentinels.map(([host, port]) => ({ host, port })),
    name: cfg.name,
    sentinelRetryStrategy: (times) => (times > 20 ? null : 200),
  });
  redis.on('error', () => {});
  const timer = setTimeout(() => {
    process.stdout.write(JSON.stringify({ error: 'no master resolved in 20 s' }) + '\n');
    process.exit(1);
  }, 20000);
  await redis.set('resolved-by-ioredis', '1');
  process.stdout.write(JSON.stringify({ port: redis.stream.remotePort }) + '\n');
  clearTimeout(timer);
  await redis.quit();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.message) }) + '\n');
  process.exit(1);
});
