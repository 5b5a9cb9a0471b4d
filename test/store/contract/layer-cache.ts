// The store contract, the layer analysis cache: keyed by (layer digest, analyzer versions), evicted by last use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha } from '../fixtures.ts';
import { manualClock, DAY, type ContractRun } from './helpers.ts';

export function layerCacheContract(name: string, run: ContractRun): void {
  describe(`${name}: layer analysis cache`, () => {
    const clock = manualClock();
    it(
      'gets, puts and checks by (layer digest, analyzer versions)',
      run(async ({ store }) => {
        const layer = sha('layer-1');
        const analysis = { packages: [{ name: 'libc6', version: '2.36-9' }], osRelease: { id: 'debian' }, files: 1234, nothing: null };
        assert.equal(await store.layerCache.has(layer, { dpkg: 3 }), false);
        assert.equal(await store.layerCache.get(layer, { dpkg: 3 }), undefined);
        await store.layerCache.put(layer, { dpkg: 3, apk: 1 }, analysis);
        assert.equal(await store.layerCache.has(layer, { apk: 1, dpkg: 3 }), true, 'key does not depend on map order');
        assert.deepEqual((await store.layerCache.get(layer, { apk: 1, dpkg: 3 }))?.analysis, analysis);
        assert.equal(await store.layerCache.has(layer, { dpkg: 4, apk: 1 }), false, 'a bumped analyzer misses');
        assert.equal(await store.layerCache.has(layer, { dpkg: 3 }), false, 'a different analyzer set misses');
        assert.equal(await store.layerCache.has(sha('layer-2'), { dpkg: 3, apk: 1 }), false);
        // Put again replaces (one entry per key).
        await store.layerCache.put(layer, { dpkg: 3, apk: 1 }, { files: 1 });
        assert.deepEqual((await store.layerCache.get(layer, { dpkg: 3, apk: 1 }))?.analysis, { files: 1 });
        assert.equal(await store.layerCache.delete(layer, { dpkg: 3, apk: 1 }), true);
        assert.equal(await store.layerCache.has(layer, { dpkg: 3, apk: 1 }), false);
      }),
    );

    it(
      'refreshes lastUsed on a hit and evicts entries unused since a time',
      run(
        async ({ store, countRaw }) => {
          const l1 = sha('l1');
          const l2 = sha('l2');
          await store.layerCache.put(l1, { dpkg: 1 }, { n: 1 });
          await store.layerCache.put(l2, { dpkg: 1 }, { n: 2 });
          clock.advance(DAY);
          const hit = await store.layerCache.get(l1, { dpkg: 1 });
          assert.equal(hit?.lastUsed.getTime(), clock.now().getTime());
          assert.equal(hit?.createdAt.getTime(), clock.now().getTime() - DAY);
          await store.layerCache.has(l2, { dpkg: 1 }); // has() does not count as use
          assert.equal(await store.layerCache.evict(new Date(clock.now().getTime() - DAY / 2)), 1);
          assert.equal(await store.layerCache.has(l1, { dpkg: 1 }), true);
          assert.equal(await store.layerCache.has(l2, { dpkg: 1 }), false);
          assert.equal(await countRaw('layerCache'), 1);
        },
        { clock: clock.now },
      ),
    );
  });
}
