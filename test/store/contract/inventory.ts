// The store contract, the image inventory: sightings, locations, tags, scan statuses, filtered listings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seen, sha } from '../fixtures.ts';
import { isNotFound, collect, type ContractRun } from './helpers.ts';

export function inventoryContract(name: string, run: ContractRun): void {
  describe(`${name}: image inventory`, () => {
    it(
      'records sightings: tags, locations, first and last seen',
      run(async ({ store }) => {
        const t = (h: number) => new Date(Date.UTC(2025, 0, 1, h));
        const ref = seen(1, { tag: 'v1', mediaType: 'application/vnd.oci.image.manifest.v1+json' });
        const created = await store.inventory.upsertSeen(ref, t(10));
        assert.equal(created.scanStatus, 'pending');
        assert.deepEqual(created.tags, [
          { registry: ref.registry, repository: ref.repository, tag: 'v1', firstSeen: t(10), lastSeen: t(10) },
        ]);
        await store.inventory.upsertSeen({ ...ref, tag: 'latest' }, t(11));
        await store.inventory.upsertSeen(ref, t(12)); // v1 again, later
        await store.inventory.upsertSeen(ref, t(9)); // a late, earlier event widens firstSeen
        await store.inventory.upsertSeen({ ...ref, repository: 'team-b/mirror', tag: 'v1' }, t(13));
        const again = await store.inventory.upsertSeen(ref, t(12)); // redelivery: no change
        const rec = (await store.inventory.get(ref.digest))!;
        assert.deepEqual(again, rec);
        assert.equal(rec.registry, ref.registry);
        assert.equal(rec.repository, 'team-a/api');
        assert.equal(rec.mediaType, ref.mediaType);
        assert.deepEqual([rec.firstSeen, rec.lastSeen], [t(9), t(13)]);
        assert.deepEqual(
          rec.tags.map((x) => [x.repository, x.tag, x.firstSeen.getUTCHours(), x.lastSeen.getUTCHours()]),
          [
            ['team-a/api', 'v1', 9, 12],
            ['team-a/api', 'latest', 11, 11],
            ['team-b/mirror', 'v1', 13, 13],
          ],
        );
        assert.deepEqual(
          rec.locations.map((l) => l.repository),
          ['team-a/api', 'team-b/mirror'],
        );
        assert.equal(await store.inventory.get(sha('unknown')), undefined);
      }),
    );

    it(
      'tracks scan status, ignoring stale events',
      run(async ({ store }) => {
        const t = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m));
        const ref = seen(1);
        await store.inventory.upsertSeen(ref, t(0));
        await store.inventory.setScanStatus(ref.digest, 'scanning', t(1));
        const failed = await store.inventory.setScanStatus(ref.digest, 'failed', t(2), { error: 'layer pull timed out' });
        assert.equal(failed.scanError, 'layer pull timed out');
        const ok = await store.inventory.setScanStatus(ref.digest, 'succeeded', t(5), { reportId: 'r-1' });
        assert.deepEqual([ok.scanStatus, ok.reportId, ok.lastScanned, ok.scanError], ['succeeded', 'r-1', t(5), undefined]);
        // A redelivered "scanning" from before the success does not undo it.
        const stale = await store.inventory.setScanStatus(ref.digest, 'scanning', t(3));
        assert.equal(stale.scanStatus, 'succeeded');
        assert.equal((await store.inventory.get(ref.digest))?.scanStatus, 'succeeded');
        assert.equal((await store.inventory.get(ref.digest))?.scanError, undefined);
        await assert.rejects(store.inventory.setScanStatus(sha('nope'), 'scanning', t(1)), isNotFound);
      }),
    );

    it(
      'finds images by repository and filter, paginated without duplicates or gaps',
      run(async ({ store }) => {
        const at = new Date('2025-01-01T00:00:00Z');
        const a: string[] = [];
        const b: string[] = [];
        for (let i = 0; i < 60; i++) {
          const ref = seen(i, { repository: i % 3 === 0 ? 'team-b/web' : 'team-a/api', tag: `t${i}` });
          await store.inventory.upsertSeen(ref, at);
          (i % 3 === 0 ? b : a).push(ref.digest);
        }
        await store.inventory.upsertSeen(seen(100, { registry: 'ghcr.io', repository: 'team-a/api' }), at);
        // The same digest pushed to a second repository is found there too.
        await store.inventory.upsertSeen({ ...seen(1), repository: 'team-b/web' }, at);
        b.push(seen(1).digest);
        for (const d of a.slice(0, 10)) await store.inventory.setScanStatus(d, 'succeeded', at);

        const inA = await collect((p) => store.inventory.findByRepository('registry.example.com', 'team-a/api', p), 7);
        assert.deepEqual(
          inA.items.map((r) => r.digest),
          [...a].sort(),
        );
        const inB = await collect((p) => store.inventory.findByRepository('registry.example.com', 'team-b/web', p), 4);
        assert.deepEqual(
          inB.items.map((r) => r.digest),
          [...b].sort(),
        );
        const reg = await collect((p) => store.inventory.list({ registry: 'registry.example.com' }, p), 11);
        assert.equal(reg.items.length, 60);
        const done = await collect((p) => store.inventory.list({ scanStatus: 'succeeded' }, p), 3);
        assert.deepEqual(
          done.items.map((r) => r.digest),
          a.slice(0, 10).sort(),
        );
        const pendingA = await store.inventory.list(
          { registry: 'registry.example.com', repository: 'team-a/api', scanStatus: 'pending' },
          { limit: 1000 },
        );
        assert.equal(pendingA.items.length, a.length - 10);
        const everything = await collect((p) => store.inventory.list({}, p), 13);
        assert.equal(everything.items.length, 61);
        assert.equal(new Set(everything.items.map((r) => r.digest)).size, 61);
      }),
    );

    it(
      'keeps pagination stable while images are added between pages',
      run(async ({ store }) => {
        const at = new Date('2025-01-01T00:00:00Z');
        const digests = new Set<string>();
        for (let i = 0; i < 30; i++) digests.add((await store.inventory.upsertSeen(seen(i), at)).digest);
        const seenDigests: string[] = [];
        let after: string | undefined;
        let extra = 0;
        do {
          const page = await store.inventory.list({}, after === undefined ? { limit: 4 } : { limit: 4, after });
          seenDigests.push(...page.items.map((r) => r.digest));
          after = page.next;
          await store.inventory.upsertSeen(seen(`extra-${extra++}`), at); // inserted anywhere in the order
        } while (after !== undefined);
        assert.equal(new Set(seenDigests).size, seenDigests.length, 'no duplicates');
        for (const d of digests) assert.ok(seenDigests.includes(d), 'every image present throughout is listed');
        assert.deepEqual(seenDigests, [...seenDigests].sort());
      }),
    );

    it(
      'concurrent sightings of one image from two connections lose no tag',
      run(async ({ store, openAnother }) => {
        const other = await openAnother();
        const at = new Date('2025-01-01T00:00:00Z');
        const tags = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
        await Promise.all(tags.map((tag, i) => (i % 2 ? store : other).inventory.upsertSeen(seen(1, { tag }), at)));
        const rec = (await store.inventory.get(seen(1).digest))!;
        assert.deepEqual(rec.tags.map((t) => t.tag).sort(), [...tags].sort());
        assert.equal((await collect((p) => store.inventory.list({}, p), 10)).items.length, 1);
      }),
    );
  });
}
