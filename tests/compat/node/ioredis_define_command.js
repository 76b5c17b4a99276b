'use strict';
/*
 * ioredis_define_command.js: ioredis's defineCommand (Lua scripts sent as EVALSHA, falling back to
 * EVAL on NOSCRIPT) against one store, for tests/compat/clients/test_ioredis.py (issue 20).
 *
 * Defines the two scripts our users name most: a lock release (delete only if the value is still
 * ours) and a sliding-window rate limiter; runs them, flushes the script cache so the next call
 * meets NOSCRIPT and ioredis must resend the body, and prints one JSON line with every result,
 * or {"error": "..."}. Bounded: gives up after 20 s.
 * Usage: node ioredis_define_command.js '{"port": 6379}'
 */

const Redis = require('ioredis');

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const LIMIT = `redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const redis = new Redis({ host: '127.0.0.1', port: cfg.port, maxRetriesPerRequest: 2 });
  const timer = setTimeout(() => {
    process.stdout.write(JSON.stringify({ error: 'no answer in 20 s' }) + '\n');
    process.exit(1);
  }, 20000);
  redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('allow', { numberOfKeys: 1, lua: LIMIT });
  const out = {};
  await redis.set('lock', 'me');
  out.releaseOther = await redis.releaseLock('lock', 'someone-else');
  out.releaseMine = await redis.releaseLock('lock', 'me');
  out.lockLeft = await redis.exists('lock');
  out.allowed = [];
  for (let i = 0; i < 4; i++) out.allowed.push(await redis.allow('rl', 1000 + i, 60000, 3, 'r' + i));
  await redis.script('FLUSH');
  out.afterFlush = await redis.allow('rl', 2000, 60000, 3, 'r-late');
  out.count = await redis.zcard('rl');
  const pipe = await redis.pipeline().releaseLock('nolock', 'x').allow('rl2', 1, 1000, 1, 'a').exec();
  out.pipeline = pipe.map(([err, v]) => (err ? String(err.message) : v));
  process.stdout.write(JSON.stringify(out) + '\n');
  clearTimeout(timer);
  await redis.quit();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.message) }) + '\n');
  process.exit(1);
});
