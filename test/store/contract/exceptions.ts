// The store contract, exceptions: create, read, update, delete, and the expiry queries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exception, sha } from '../fixtures.ts';
import { isConflict, isNotFound, collect, DAY, type ContractRun } from './helpers.ts';

export function exceptionsContract(name: string, run: ContractRun): void {
  describe(`${name}: exceptions`, () => {
    it(
      'creates, reads, updates and deletes',
      run(async ({ store }) => {
        const t0 = new Date('2025-01-01T00:00:00Z');
        const e = exception('exc-1', t0, new Date(t0.getTime() + 30 * DAY));
        assert.deepEqual(await store.exceptions.create(e), e);
        assert.deepEqual(await store.exceptions.get('exc-1'), e);
        await assert.rejects(store.exceptions.create(e), isConflict);
        const longer = { ...e, expiresAt: new Date(t0.getTime() + 60 * DAY), reason: 'extended' };
        await store.exceptions.update(longer);
        assert.deepEqual(await store.exceptions.get('exc-1'), longer);
        // Optional scope fields removed by an update stay removed.
        const narrower = { ...longer, scope: { digest: sha('one') } };
        await store.exceptions.update(narrower);
        assert.deepEqual(await store.exceptions.get('exc-1'), narrower);
        await assert.rejects(store.exceptions.update({ ...e, id: 'missing' }), isNotFound);
        assert.equal(await store.exceptions.delete('exc-1'), true);
        assert.equal(await store.exceptions.delete('exc-1'), false);
        assert.equal(await store.exceptions.get('exc-1'), undefined);
      }),
    );

    it(
      'answers expiry queries, paginated',
      run(async ({ store }) => {
        const t0 = new Date('2025-01-01T00:00:00Z');
        const now = new Date(t0.getTime() + 10 * DAY);
        // 40 exceptions expiring one per day from t0+1d; several share an expiry time.
        const all = Array.from({ length: 40 }, (_, i) =>
          exception(`exc-${String(i).padStart(2, '0')}`, t0, new Date(t0.getTime() + (1 + Math.floor(i / 2)) * DAY)),
        );
        for (const e of [...all].reverse()) await store.exceptions.create(e);
        const expiresAfter = (e: (typeof all)[number], t: Date) => e.expiresAt.getTime() > t.getTime();

        const active = await collect((p) => store.exceptions.listActive(now, p), 7);
        assert.deepEqual(
          active.items.map((e) => e.id),
          all.filter((e) => expiresAfter(e, now)).map((e) => e.id),
        );

        const expired = await collect((p) => store.exceptions.expired(now, p), 3);
        assert.deepEqual(
          expired.items.map((e) => e.id),
          all.filter((e) => !expiresAfter(e, now)).map((e) => e.id),
        );
        assert.equal(expired.items.length, 20);
        assert.ok(expired.pages >= 7);

        const horizon = new Date(now.getTime() + 5 * DAY);
        const soon = await collect((p) => store.exceptions.listExpiringBefore(horizon, now, p), 3);
        assert.deepEqual(
          soon.items.map((e) => e.id),
          all.filter((e) => expiresAfter(e, now) && !expiresAfter(e, horizon)).map((e) => e.id),
        );
        assert.equal(soon.items.length, 10);
        // Soonest first, ties by id.
        const times = soon.items.map((e) => e.expiresAt.getTime());
        assert.deepEqual(
          times,
          [...times].sort((a, b) => a - b),
        );

        const everything = await collect((p) => store.exceptions.list(p), 9);
        assert.equal(everything.items.length, 40);
      }),
    );
  });
}
