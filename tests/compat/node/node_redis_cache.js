'use strict';
/*
 * node_redis_cache.js: node-redis 6's client-side cache (RESP3, BasicClientSideCache) against
 * one server, for tests/compat/clients/test_node_redis_cache.py. A cached GET is answered
 * without the server; a write from another connection invalidates it (the server's push) and
 * the next GET reads the new value; FLUSHALL empties the cache.
 * Usage: node node_redis_cache.js <port>. Prints one JSON line with what it saw.
 */

const { createClient, BasicClientSideCache } = require('redis');

async function until(what, pred, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main() {
  const port = Number(process.argv[2]);
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: 'LRU' });
  const cached = createClient({ socket: { host: '127.0.0.1', port }, RESP: 3,
                                clientSideCache: cache });
  const writer = createClient({ socket: { host: '127.0.0.1', port } });
  await cached.connect();
  await writer.connect();
  await writer.flushAll();
  await writer.set('k', 'v1');
  const out = { values: [] };
  out.values.push(await cached.get('k'));
  out.values.push(await cached.get('k'));
  out.size_after_reads = cache.size();
  out.tracking = await writer.sendCommand(['CLIENT', 'LIST']).then(
    (l) => l.split('\n').filter((x) => / flags=\S*t/.test(x)).length);
  await writer.set('k', 'v2');
  await until('the invalidation', () => cache.size() === 0, 10000);
  out.values.push(await cached.get('k'));
  out.values.push(await cached.get('k'));
  await writer.flushAll();
  await until('the flush invalidation', () => cache.size() === 0, 10000);
  out.values.push(await cached.get('k'));
  const s = cache.stats();
  out.hits = s.hitCount;
  out.misses = s.missCount;
  console.log(JSON.stringify(out));
  await cached.quit();
  await writer.quit();
}

main().catch((e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(1); });
