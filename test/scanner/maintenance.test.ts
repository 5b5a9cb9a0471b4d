// Store upkeep by the scanner: layer analyses unused for longer than the maximum age are evicted
// (ones a scan used recently stay), orphaned report chunks are removed; a round at start and
// one per interval; rounds asked for at once share one run.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '@assay/store';
import { StoreMaintenance } from '@assay/scanner';
import { createLogger } from '@assay/telemetry';
import { makeTempDir } from '../support/tempdir.ts';

const DAY = 86_400_000;
const sha = (c: string) => `sha256:${c.repeat(64)}`;

describe('scanner: store maintenance', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let store: Store;
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = () => now;
  const logger = createLogger({ service: 'scanner-test', level: 'silent' });

  before(async () => {
    dir = await makeTempDir('scanner-maintenance');
    store = await openStore({ SQLITE_PATH: join(dir.path, 'assay.db') }, { clock });
  });
  after(async () => {
    await store?.close();
    await dir?.remove();
  });

  it('evicts the layer analyses no scan used within the maximum age, keeps the others', async () => {
    const versions = { dpkg: 1 };
    await store.layerCache.put(sha('a'), versions, { packages: [] });
    await store.layerCache.put(sha('b'), versions, { packages: [] });
    now = new Date(now.getTime() + 10 * DAY);
    assert.ok(await store.layerCache.get(sha('b'), versions), 'b used by a scan on day 10');
    now = new Date(now.getTime() + 21 * DAY);
    const m = new StoreMaintenance({ store, logger, intervalMs: 3600_000, layerCacheMaxAgeMs: 30 * DAY, clock });
    const [first, joined] = await Promise.all([m.runOnce(), m.runOnce()]);
    assert.equal(first, joined, 'a round asked for while one runs joins it');
    assert.deepEqual(first, { evicted: 1, orphans: 0 });
    assert.equal(await store.layerCache.has(sha('a'), versions), false);
    assert.equal(await store.layerCache.has(sha('b'), versions), true);
    assert.deepEqual(await m.runOnce(), { evicted: 0, orphans: 0 }, 'nothing more to do');
  });

  it('start() runs a round at once and stop() ends the interval', async () => {
    await store.layerCache.put(sha('c'), { dpkg: 1 }, { packages: [] });
    now = new Date(now.getTime() + 40 * DAY);
    const m = new StoreMaintenance({ store, logger, intervalMs: 50, layerCacheMaxAgeMs: 30 * DAY, clock });
    m.start();
    await m.stop();
    assert.equal(await store.layerCache.has(sha('c'), { dpkg: 1 }), false, 'the start round evicted it');
  });
});
