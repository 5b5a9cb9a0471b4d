// The store contract, the store itself: ping, the paging helper, and its identity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allPages } from '@assay/store';
import type { OpenFreshStore } from './harness.ts';
import { seen } from '../fixtures.ts';
import type { ContractRun } from './helpers.ts';

export function storeContract(name: string, run: ContractRun, openFreshStore: OpenFreshStore): void {
  describe(`${name}: store`, () => {
    it(
      'pings, and pages helpers iterate everything',
      run(async ({ store }) => {
        await store.ping();
        for (let i = 0; i < 5; i++) await store.inventory.upsertSeen(seen(i), new Date());
        const all: string[] = [];
        for await (const r of allPages((p) => store.inventory.list({}, p), 2)) all.push(r.digest);
        assert.equal(all.length, 5);
      }),
    );

    it(
      'has one identity per database: created once, shared by every connection, racing creators agree',
      run(async (h) => {
        // Two connections ask at once before anyone has created it: both must see the same id.
        const other = await h.openAnother();
        const [a, b] = await Promise.all([h.store.identity(), other.identity()]);
        assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(b.id, a.id, 'every connection to the database reports the same identity');
        assert.equal(a.kind, h.store.kind);
        assert.ok(a.location.length > 0);
        assert.doesNotMatch(a.location, /\/\/[^/]*@/, 'the location carries no credentials');
        assert.ok(!Number.isNaN(Date.parse(a.createdAt)));
        // Persistent: a connection opened later reads it back rather than creating another.
        const later = await h.openAnother();
        assert.deepEqual(await later.identity(), a);
        assert.deepEqual(await h.store.identity(), a, 'stable across calls');
      }),
    );

    it('a different database has a different identity', async () => {
      const one = await openFreshStore();
      const two = await openFreshStore();
      try {
        assert.notEqual((await one.store.identity()).id, (await two.store.identity()).id);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
}
