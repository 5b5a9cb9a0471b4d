// The store contract, versioned policies: every change a new version, optimistic concurrency, tombstones, history, listings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { managedBy } from '@assay/domain';
import { ConflictError } from '@assay/store';
import { exception, imagePolicy, runtimePolicy } from '../fixtures.ts';
import { isConflict, isNotFound, isValidation, collect, type ContractRun } from './helpers.ts';

export function versionedContract(name: string, run: ContractRun): void {
  describe(`${name}: versioned policies`, () => {
    it(
      'creates, updates and keeps every version',
      run(async ({ store }) => {
        const v1 = await store.policies.put('baseline', imagePolicy(), { expectedVersion: 0, by: 'alice' });
        assert.equal(v1.version, 1);
        assert.equal(v1.deleted, false);
        const changed = imagePolicy({ action: 'audit' });
        const v2 = await store.policies.put('baseline', changed, { expectedVersion: 1, by: 'bob' });
        assert.equal(v2.version, 2);

        const current = await store.policies.current('baseline');
        assert.equal(current?.version, 2);
        assert.equal(current?.createdBy, 'bob');
        assert.deepEqual(current?.document, changed);
        assert.ok(current?.createdAt instanceof Date);

        const first = await store.policies.get('baseline', 1);
        assert.deepEqual(first?.document, imagePolicy());
        assert.equal(first?.createdBy, 'alice');
        assert.equal(await store.policies.get('baseline', 3), undefined);
        assert.deepEqual(
          (await store.policies.history('baseline')).map((r) => [r.version, r.createdBy]),
          [
            [1, 'alice'],
            [2, 'bob'],
          ],
        );
        assert.equal(await store.policies.current('nope'), undefined);
        assert.deepEqual(await store.policies.history('nope'), []);
      }),
    );

    it(
      'refuses stale, premature and duplicate-create writes with ConflictError, leaving no gap',
      run(async ({ store }) => {
        await store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' });
        await store.policies.put('p', imagePolicy({ enabled: false }), { expectedVersion: 1, by: 'a' });
        await assert.rejects(store.policies.put('p', imagePolicy(), { expectedVersion: 1, by: 'b' }), (err) => {
          isConflict(err);
          assert.equal((err as ConflictError).expectedVersion, 1);
          assert.equal((err as ConflictError).actualVersion, 2);
          return true;
        });
        await assert.rejects(store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'b' }), isConflict);
        await assert.rejects(store.policies.put('p', imagePolicy(), { expectedVersion: 7, by: 'b' }), isConflict);
        assert.deepEqual(
          (await store.policies.history('p')).map((r) => r.version),
          [1, 2],
        );
      }),
    );

    it(
      'deletes with a tombstone version and can recreate after it',
      run(async ({ store }) => {
        await store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' });
        await store.policies.put('q', imagePolicy(), { expectedVersion: 0, by: 'a' });
        await assert.rejects(store.policies.delete('p', { expectedVersion: 0, by: 'a' }), isConflict);
        const tomb = await store.policies.delete('p', { expectedVersion: 1, by: 'carol' });
        assert.deepEqual([tomb.version, tomb.deleted, tomb.document, tomb.createdBy], [2, true, null, 'carol']);
        assert.equal(await store.policies.current('p'), undefined);
        assert.equal((await store.policies.get('p', 2))?.deleted, true);
        assert.deepEqual(
          (await store.policies.list()).items.map((r) => r.id),
          ['q'],
        );
        await assert.rejects(store.policies.delete('p', { expectedVersion: 2, by: 'a' }), isNotFound);
        await assert.rejects(store.policies.delete('never', { expectedVersion: 0, by: 'a' }), isNotFound);
        await assert.rejects(store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' }), isConflict);
        const again = await store.policies.put('p', imagePolicy(), { expectedVersion: 2, by: 'a' });
        assert.equal(again.version, 3);
        assert.deepEqual(
          (await store.policies.history('p')).map((r) => r.deleted),
          [false, true, false],
        );
        assert.deepEqual(
          (await store.policies.list()).items.map((r) => r.id),
          ['p', 'q'],
        );
      }),
    );

    it(
      'keeps image assurance and runtime policies apart',
      run(async ({ store }) => {
        await store.policies.put('same-id', imagePolicy(), { expectedVersion: 0, by: 'a' });
        const r = await store.runtimePolicies.put('same-id', runtimePolicy(), { expectedVersion: 0, by: 'a' });
        assert.equal(r.version, 1);
        assert.deepEqual((await store.runtimePolicies.current('same-id'))?.document, runtimePolicy());
        await store.runtimePolicies.put('same-id', runtimePolicy({ enforcement: 'audit' }), { expectedVersion: 1, by: 'a' });
        assert.equal((await store.policies.current('same-id'))?.version, 1);
        await assert.rejects(
          store.runtimePolicies.put('x', { ...runtimePolicy(), platforms: [] }, { expectedVersion: 0, by: 'a' }),
          isValidation('runtimePolicy.platforms'),
        );
        // Platforms as people write them (`linux/arm64/v8`) are stored in the object form.
        const short = await store.runtimePolicies.put(
          'short',
          { ...runtimePolicy(), platforms: ['linux/amd64', 'Linux/ARM64/v8'] as never },
          { expectedVersion: 0, by: 'a' },
        );
        assert.deepEqual(short.document?.platforms, [
          { os: 'linux', architecture: 'amd64' },
          { os: 'linux', architecture: 'arm64', variant: 'v8' },
        ]);
        assert.deepEqual((await store.runtimePolicies.current('short'))?.document?.platforms, short.document?.platforms);
        await assert.rejects(
          store.runtimePolicies.put('x', { ...runtimePolicy(), platforms: ['linux'] as never }, { expectedVersion: 0, by: 'a' }),
          isValidation('runtimePolicy.platforms[0].architecture'),
        );
      }),
    );

    it(
      'keeps every version of an exception apart from the exceptions in force',
      run(async ({ store }) => {
        const t0 = new Date('2025-01-01T00:00:00Z');
        const e1 = exception('exc-v', t0, new Date(t0.getTime() + 86_400_000));
        const v1 = await store.exceptionVersions.put('exc-v', e1, { expectedVersion: 0, by: 'alice' });
        const v2 = await store.exceptionVersions.put('exc-v', { ...e1, reason: 'extended' }, { expectedVersion: 1, by: 'bob' });
        await assert.rejects(store.exceptionVersions.put('exc-v', e1, { expectedVersion: 1, by: 'carol' }), isConflict);
        const gone = await store.exceptionVersions.delete('exc-v', { expectedVersion: 2, by: 'alice' });
        assert.deepEqual([v1.version, v2.version, gone.version, gone.deleted], [1, 2, 3, true]);
        assert.deepEqual(
          (await store.exceptionVersions.history('exc-v')).map((r) => [r.version, r.createdBy, r.document?.reason ?? null]),
          [
            [1, 'alice', e1.reason],
            [2, 'bob', 'extended'],
            [3, 'alice', null],
          ],
        );
        assert.deepEqual((await store.exceptionVersions.get('exc-v', 1))?.document?.expiresAt, e1.expiresAt);
        assert.equal(await store.exceptions.get('exc-v'), undefined, 'versions are not the exceptions in force');
        await assert.rejects(
          store.exceptionVersions.put('exc-w', { ...e1, id: 'exc-w', reason: '' }, { expectedVersion: 0, by: 'a' }),
          isValidation('exception.reason'),
        );
      }),
    );

    it(
      'two racing updates from the same version: exactly one wins, the other gets ConflictError',
      run(async ({ store, openAnother }) => {
        const other = await openAnother();
        await store.policies.put('race', imagePolicy(), { expectedVersion: 0, by: 'setup' });
        const results = await Promise.allSettled([
          store.policies.put('race', imagePolicy({ name: 'from A' }), { expectedVersion: 1, by: 'A' }),
          other.policies.put('race', imagePolicy({ name: 'from B' }), { expectedVersion: 1, by: 'B' }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1, 'exactly one update succeeds');
        assert.equal(lost.length, 1);
        assert.ok(isConflict((lost[0] as PromiseRejectedResult).reason));
        const history = await store.policies.history('race');
        assert.equal(history.length, 2, 'nothing lost silently, nothing written twice');
        assert.equal(history[1]?.document?.name, (won[0] as PromiseFulfilledResult<{ document: { name: string } }>).value.document.name);
      }),
    );

    it(
      'N parallel puts with the same expectedVersion: exactly one succeeds',
      run(async ({ store, openAnother }) => {
        const others = [store, await openAnother(), await openAnother()];
        await store.policies.put('crowd', imagePolicy(), { expectedVersion: 0, by: 'setup' });
        const N = 24;
        const results = await Promise.allSettled(
          Array.from({ length: N }, (_, i) =>
            others[i % others.length]!.policies.put('crowd', imagePolicy({ name: `writer ${i}` }), {
              expectedVersion: 1,
              by: `w${i}`,
            }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') isConflict(r.reason);
        assert.deepEqual(
          (await store.policies.history('crowd')).map((r) => r.version),
          [1, 2],
        );
        // Creation races the same way.
        const creates = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            others[i % others.length]!.runtimePolicies.put('new', runtimePolicy(), { expectedVersion: 0, by: `w${i}` }),
          ),
        );
        assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
      }),
    );

    it(
      'writers retrying on conflict lose no update',
      run(async ({ store, openAnother }) => {
        const stores = [store, await openAnother()];
        await store.policies.put('counter', imagePolicy({ description: '' }), { expectedVersion: 0, by: 'setup' });
        const WRITERS = 4;
        const STEPS = 5;
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            const s = stores[w % stores.length]!;
            for (let step = 0; step < STEPS; step++) {
              for (;;) {
                const cur = (await s.policies.current('counter'))!;
                const description = `${cur.document!.description ?? ''}[${w}.${step}]`;
                try {
                  await s.policies.put('counter', { ...cur.document!, description }, { expectedVersion: cur.version, by: `w${w}` });
                  break;
                } catch (err) {
                  isConflict(err);
                  conflicts++;
                }
              }
            }
          }),
        );
        const final = (await store.policies.current('counter'))!;
        assert.equal(final.version, 1 + WRITERS * STEPS);
        const marks = final.document!.description!.match(/\[\d+\.\d+\]/g) ?? [];
        assert.equal(marks.length, WRITERS * STEPS, `every update is in the final document (${conflicts} conflicts retried)`);
        assert.equal(new Set(marks).size, WRITERS * STEPS);
      }),
    );

    it(
      "keeps who manages each version (source), and reads versions without one as the API's",
      run(async ({ store, writeRaw }) => {
        const source = { managedBy: 'kubernetes' as const, resourceVersion: '4711', uid: 'u-1', generation: 3 };
        const v1 = await store.policies.put('kube', imagePolicy(), { expectedVersion: 0, by: 'kubernetes', source });
        assert.deepEqual(v1.source, source);
        assert.deepEqual((await store.policies.current('kube'))?.source, source);
        const v2 = await store.policies.delete('kube', {
          expectedVersion: 1,
          by: 'kubernetes',
          source: { ...source, resourceVersion: '4712' },
        });
        assert.equal((await store.policies.get('kube', 2))?.source?.resourceVersion, '4712');
        assert.equal(v2.deleted, true);
        const api = await store.policies.put('plain', imagePolicy(), { expectedVersion: 0, by: 'alice' });
        assert.equal(api.source, undefined);
        assert.equal(managedBy((await store.policies.current('plain'))!), 'api');
        assert.equal(managedBy((await store.policies.current('kube')) ?? (await store.policies.get('kube', 1))!), 'kubernetes');
        await writeRaw('policies', {
          schemaVersion: 2,
          id: 'older',
          version: 1,
          document: imagePolicy(),
          createdAt: new Date('2024-01-01T00:00:00Z'),
          createdBy: 'alice',
          deleted: false,
        });
        const older = await store.policies.current('older');
        assert.equal(older?.source, undefined);
        assert.equal(managedBy(older!), 'api');
        await assert.rejects(
          store.policies.put('bad', imagePolicy(), { expectedVersion: 0, by: 'a', source: { managedBy: 'gitops' } as never }),
          isValidation('options.source.managedBy'),
        );
        await assert.rejects(
          store.runtimePolicies.put('bad', runtimePolicy(), {
            expectedVersion: 0,
            by: 'a',
            source: { managedBy: 'api', extra: 1 } as never,
          }),
          isValidation('options.source'),
        );
      }),
    );

    it(
      'lists current policies page by page, without duplicates or gaps',
      run(async ({ store }) => {
        const ids = Array.from({ length: 23 }, (_, i) => `pol-${String(i).padStart(2, '0')}`);
        for (const id of ids) await store.policies.put(id, imagePolicy({ name: id }), { expectedVersion: 0, by: 'a' });
        for (const id of ids.slice(0, 5)) await store.policies.put(id, imagePolicy({ name: `${id} v2` }), { expectedVersion: 1, by: 'a' });
        await store.policies.delete('pol-07', { expectedVersion: 1, by: 'a' });
        const { items, pages } = await collect((p) => store.policies.list(p), 4);
        assert.equal(pages, 6);
        assert.deepEqual(
          items.map((r) => r.id),
          ids.filter((id) => id !== 'pol-07'),
        );
        assert.deepEqual(
          items.slice(0, 5).map((r) => r.version),
          [2, 2, 2, 2, 2],
        );
      }),
    );
  });
}
