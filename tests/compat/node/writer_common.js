'use strict';
/*
 * writer_common.js: the write loop shared by the Node client writers (tests/compat/clients).
 *
 * Why: the compat tests drive ioredis and node-redis through a kill -9 failover and a switchover
 * and must judge them the same way as the Python and redis-cli writers. Each write is
 * `SET <prefix>:<i> v<i>` then `WAIT 1 <wait_ms>` on the same connection; it counts as
 * acknowledged only when both succeeded, WAIT answered >= 1 and the client did not change
 * connection in between (a command resent by the library to a new master after a reconnect
 * could otherwise report a WAIT that is not about our SET).
 *
 * Protocol (stdout, one JSON object per line; times are CLOCK_MONOTONIC microseconds, the
 * clock Python's time.monotonic_ns() reads):
 *   {"ev":"start","t":..}                    the client object exists, writes begin
 *   {"ev":"w","i":..,"t0":..,"t1":..,"ok":..,"n":..,"acked":..,"err":..}   one write
 *   {"ev":"client","what":..,"t":..}         a library event (reconnecting, topology change...)
 *   {"ev":"done","acked":..,"readback_bad_count":..,"readback_bad":[..],"readback_err":..}
 * SIGTERM ends the loop after the current write; the script then reads every acknowledged
 * key back through the same client, closes it and exits 0.
 *
 * Invariants: one client object for the whole run, never re-created or re-connected by this
 * code (reconnecting is the library's job, which is what the test checks); every library
 * error is caught and logged, never thrown out of the loop; the write rate is paced.
 */

const READBACK_BATCH = 500;
const MAX_ERR_CHARS = 200;
const CLOSE_GUARD_MS = 3000;

function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function errText(e) {
  return String((e && e.message) || e).slice(0, MAX_ERR_CHARS);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/* argv[2] is a JSON object: sentinels [[host, port], ...], name, prefix, wait_ms, pause_ms,
 * error_pause_ms. */
function parseConfig() {
  const cfg = JSON.parse(process.argv[2]);
  for (const key of ['sentinels', 'name', 'prefix', 'wait_ms', 'pause_ms', 'error_pause_ms']) {
    if (cfg[key] === undefined) throw new Error(`config lacks ${key}`);
  }
  return cfg;
}

/* A counter bumped on every library event that means "the connection may have changed". */
function makeGeneration() {
  let value = 0;
  return {
    bump(what, extra) {
      value += 1;
      emit(Object.assign({ ev: 'client', what, t: nowUs() }, extra || {}));
    },
    get value() { return value; },
  };
}

async function readBack(cfg, client, ackedIds) {
  const bad = [];
  for (let j = 0; j < ackedIds.length; j += READBACK_BATCH) {
    const chunk = ackedIds.slice(j, j + READBACK_BATCH);
    const values = await client.readback(chunk.map((i) => `${cfg.prefix}:${i}`));
    chunk.forEach((i, k) => { if (values[k] !== `v${i}`) bad.push(i); });
  }
  return bad;
}

/* client: { write(key, value) -> Promise<WAIT reply>, readback(keys) -> Promise<values>,
 *           close() -> Promise }, gen: makeGeneration(). Never returns: exits the process. */
async function runWriter(cfg, client, gen) {
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  const ackedIds = [];
  emit({ ev: 'start', t: nowUs() });
  for (let i = 0; !stopping; i++) {
    const key = `${cfg.prefix}:${i}`;
    const gen0 = gen.value;
    const t0 = nowUs();
    let n = null;
    let err = null;
    try {
      n = Number(await client.write(key, `v${i}`));
    } catch (e) {
      err = errText(e);
    }
    const t1 = nowUs();
    const ok = err === null;
    const acked = ok && n >= 1 && gen.value === gen0;
    if (acked) ackedIds.push(i);
    emit({ ev: 'w', i, t0, t1, ok, n, acked, err });
    await sleep(ok ? cfg.pause_ms : cfg.error_pause_ms);
  }
  let bad = [];
  let readbackErr = null;
  try {
    bad = await readBack(cfg, client, ackedIds);
  } catch (e) {
    readbackErr = errText(e);
  }
  emit({ ev: 'done', t: nowUs(), acked: ackedIds.length, readback_bad_count: bad.length,
        readback_bad: bad.slice(0, 50), readback_err: readbackErr });
  setTimeout(() => process.exit(0), CLOSE_GUARD_MS).unref();
  try {
    await client.close();
  } catch (e) {
    emit({ ev: 'client', what: 'close-error', msg: errText(e), t: nowUs() });
  }
  process.exit(0);
}

module.exports = { emit, errText, makeGeneration, nowUs, parseConfig, runWriter };
