// The store contract: every adapter (SQLite, MongoDB) must pass the same tests.
// An adapter's test file calls runStoreContract with a function opening a store on a fresh,
// empty database, plus the few raw hooks the tests need (old-version documents, orphans, counts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '@assay/domain';
import {
  allPages,
  ConflictError,
  NotFoundError,
  SchemaVersionError,
  type Page,
  type Store,
  type StoreOptions,
} from '@assay/store';
import { exception, imagePolicy, runtimePolicy, scanReport, seen, sha } from './fixtures.ts';

/** Collections the raw hooks address (MongoDB collection names; SQLite maps them to tables). */
export type RawCollection =
  | 'policies'
  | 'runtimePolicies'
  | 'exceptions'
  | 'reports'
  | 'reportChunks'
  | 'layerCache'
  | 'inventory';

export interface StoreHarness {
  /** A store on a fresh, empty database. */
  readonly store: Store;
  /** Another store on the same database: another connection, as another process would have. */
  openAnother(): Promise<Store>;
  /**
   * Writes a stored document as is, bypassing the repositories, the way older code wrote it:
   * `policies`/`inventory` documents in their stored form, `reportChunks` as
   * { generation, n, data: Buffer, createdAt: Date }.
   */
  writeRaw(collection: RawCollection, doc: Record<string, unknown>): Promise<void>;
  /** Number of stored documents (rows) of a collection. */
  countRaw(collection: RawCollection): Promise<number>;
  /** Closes every store opened and removes the database. */
  close(): Promise<void>;
}

export type OpenFreshStore = (options?: StoreOptions) => Promise<StoreHarness>;

async function withStore(open: OpenFreshStore, fn: (h: StoreHarness) => Promise<void>, options?: StoreOptions) {
  const h = await open(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const isConflict = (err: unknown) => {
  assert.ok(err instanceof ConflictError, `expected ConflictError, got ${String(err)}`);
  return true;
};
const isNotFound = (err: unknown) => {
  assert.ok(err instanceof NotFoundError, `expected NotFoundError, got ${String(err)}`);
  return true;
};
/** A ValidationError whose message names `path` (and matches `message` when given). */
const isValidation = (path: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
  assert.ok(
    err.issues.some((i) => i.path === path && (message === undefined || message.test(i.message))),
    `expected an issue at ${path}${message ? ` matching ${message}` : ''}, got: ${err.message}`,
  );
  return true;
};

async function collect<T>(fetch: (page: { limit: number; after?: string }) => Promise<Page<T>>, limit: number) {
  const items: T[] = [];
  let pages = 0;
  let after: string | undefined;
  do {
    const page = await fetch(after === undefined ? { limit } : { limit, after });
    assert.ok(page.items.length <= limit, 'page larger than its limit');
    items.push(...page.items);
    after = page.next;
    pages++;
    assert.ok(pages < 10_000, 'pagination does not end');
  } while (after !== undefined);
  return { items, pages };
}

/** A clock the test moves by hand. */
function manualClock(start = '2025-06-01T00:00:00.000Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

const DAY = 86_400_000;

export function runStoreContract(name: string, openFreshStore: OpenFreshStore): void {
  const run = (fn: (h: StoreHarness) => Promise<void>, options?: StoreOptions) => () =>
    withStore(openFreshStore, fn, options);

  describe(`${name}: versioned policies`, () => {
    it('creates, updates and keeps every version', run(async ({ store }) => {
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
        [[1, 'alice'], [2, 'bob']],
      );
      assert.equal(await store.policies.current('nope'), undefined);
      assert.deepEqual(await store.policies.history('nope'), []);
    }));

    it('refuses stale, premature and duplicate-create writes with ConflictError, leaving no gap', run(async ({ store }) => {
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
      assert.deepEqual((await store.policies.history('p')).map((r) => r.version), [1, 2]);
    }));

    it('deletes with a tombstone version and can recreate after it', run(async ({ store }) => {
      await store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' });
      await store.policies.put('q', imagePolicy(), { expectedVersion: 0, by: 'a' });
      await assert.rejects(store.policies.delete('p', { expectedVersion: 0, by: 'a' }), isConflict);
      const tomb = await store.policies.delete('p', { expectedVersion: 1, by: 'carol' });
      assert.deepEqual([tomb.version, tomb.deleted, tomb.document, tomb.createdBy], [2, true, null, 'carol']);
      assert.equal(await store.policies.current('p'), undefined);
      assert.equal((await store.policies.get('p', 2))?.deleted, true);
      assert.deepEqual((await store.policies.list()).items.map((r) => r.id), ['q']);
      await assert.rejects(store.policies.delete('p', { expectedVersion: 2, by: 'a' }), isNotFound);
      await assert.rejects(store.policies.delete('never', { expectedVersion: 0, by: 'a' }), isNotFound);
      await assert.rejects(store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' }), isConflict);
      const again = await store.policies.put('p', imagePolicy(), { expectedVersion: 2, by: 'a' });
      assert.equal(again.version, 3);
      assert.deepEqual((await store.policies.history('p')).map((r) => r.deleted), [false, true, false]);
      assert.deepEqual((await store.policies.list()).items.map((r) => r.id), ['p', 'q']);
    }));

    it('keeps image assurance and runtime policies apart', run(async ({ store }) => {
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
      const short = await store.runtimePolicies.put('short', { ...runtimePolicy(), platforms: ['linux/amd64', 'Linux/ARM64/v8'] as never }, { expectedVersion: 0, by: 'a' });
      assert.deepEqual(short.document?.platforms, [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]);
      assert.deepEqual((await store.runtimePolicies.current('short'))?.document?.platforms, short.document?.platforms);
      await assert.rejects(
        store.runtimePolicies.put('x', { ...runtimePolicy(), platforms: ['linux'] as never }, { expectedVersion: 0, by: 'a' }),
        isValidation('runtimePolicy.platforms[0].architecture'),
      );
    }));

    it('keeps every version of an exception apart from the exceptions in force', run(async ({ store }) => {
      const t0 = new Date('2025-01-01T00:00:00Z');
      const e1 = exception('exc-v', t0, new Date(t0.getTime() + 86_400_000));
      const v1 = await store.exceptionVersions.put('exc-v', e1, { expectedVersion: 0, by: 'alice' });
      const v2 = await store.exceptionVersions.put('exc-v', { ...e1, reason: 'extended' }, { expectedVersion: 1, by: 'bob' });
      await assert.rejects(store.exceptionVersions.put('exc-v', e1, { expectedVersion: 1, by: 'carol' }), isConflict);
      const gone = await store.exceptionVersions.delete('exc-v', { expectedVersion: 2, by: 'alice' });
      assert.deepEqual([v1.version, v2.version, gone.version, gone.deleted], [1, 2, 3, true]);
      assert.deepEqual((await store.exceptionVersions.history('exc-v')).map((r) => [r.version, r.createdBy, r.document?.reason ?? null]), [
        [1, 'alice', e1.reason],
        [2, 'bob', 'extended'],
        [3, 'alice', null],
      ]);
      assert.deepEqual((await store.exceptionVersions.get('exc-v', 1))?.document?.expiresAt, e1.expiresAt);
      assert.equal(await store.exceptions.get('exc-v'), undefined, 'versions are not the exceptions in force');
      await assert.rejects(store.exceptionVersions.put('exc-w', { ...e1, id: 'exc-w', reason: '' }, { expectedVersion: 0, by: 'a' }), isValidation('exception.reason'));
    }));

    it('two racing updates from the same version: exactly one wins, the other gets ConflictError', run(async ({ store, openAnother }) => {
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
    }));

    it('N parallel puts with the same expectedVersion: exactly one succeeds', run(async ({ store, openAnother }) => {
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
      assert.deepEqual((await store.policies.history('crowd')).map((r) => r.version), [1, 2]);
      // Creation races the same way.
      const creates = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          others[i % others.length]!.runtimePolicies.put('new', runtimePolicy(), { expectedVersion: 0, by: `w${i}` }),
        ),
      );
      assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
    }));

    it('writers retrying on conflict lose no update', run(async ({ store, openAnother }) => {
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
    }));

    it('lists current policies page by page, without duplicates or gaps', run(async ({ store }) => {
      const ids = Array.from({ length: 23 }, (_, i) => `pol-${String(i).padStart(2, '0')}`);
      for (const id of ids) await store.policies.put(id, imagePolicy({ name: id }), { expectedVersion: 0, by: 'a' });
      for (const id of ids.slice(0, 5)) await store.policies.put(id, imagePolicy({ name: `${id} v2` }), { expectedVersion: 1, by: 'a' });
      await store.policies.delete('pol-07', { expectedVersion: 1, by: 'a' });
      const { items, pages } = await collect((p) => store.policies.list(p), 4);
      assert.equal(pages, 6);
      assert.deepEqual(items.map((r) => r.id), ids.filter((id) => id !== 'pol-07'));
      assert.deepEqual(items.slice(0, 5).map((r) => r.version), [2, 2, 2, 2, 2]);
    }));
  });

  describe(`${name}: validation`, () => {
    it('refuses an invalid policy naming the field, and writes nothing', run(async ({ store, countRaw }) => {
      const bad = imagePolicy();
      (bad.controls.vulnerabilities as Record<string, unknown>).maxSeverity = 'severe';
      await assert.rejects(store.policies.put('bad', bad, { expectedVersion: 0, by: 'a' }), (err) => {
        isValidation('policy.controls.vulnerabilities.maxSeverity', /^expected one of critical, high, medium, low, negligible/)(err);
        assert.match(String(err), /^ValidationError: policy\.controls\.vulnerabilities\.maxSeverity: expected one of critical, high, medium, low, negligible/);
        return true;
      });
      await assert.rejects(
        store.policies.put('bad', { ...imagePolicy(), colour: 'red' } as never, { expectedVersion: 0, by: 'a' }),
        isValidation('policy', /unknown field colour/),
      );
      await assert.rejects(
        store.policies.put('bad', imagePolicy({ customChecks: undefined, controls: { customChecks: [{ id: '', required: true }] } } as never), { expectedVersion: 0, by: 'a' }),
        isValidation('policy.controls.customChecks[0].id'),
      );
      await assert.rejects(store.policies.put('has space', imagePolicy(), { expectedVersion: 0, by: 'a' }), isValidation('policyId'));
      await assert.rejects(store.policies.put('ok', imagePolicy(), { expectedVersion: -1, by: 'a' }), isValidation('options.expectedVersion'));
      await assert.rejects(store.policies.put('ok', imagePolicy(), { expectedVersion: 0, by: '' }), isValidation('options.by'));
      assert.equal(await countRaw('policies'), 0);
      assert.deepEqual(await store.policies.history('bad'), []);
    }));

    it('refuses invalid exceptions, reports, images and cache entries, writing nothing', run(async ({ store, countRaw }) => {
      const t0 = new Date('2025-01-01T00:00:00Z');
      await assert.rejects(store.exceptions.create(exception('e1', t0, new Date(t0.getTime() - 1))), isValidation('exception.expiresAt'));
      await assert.rejects(store.exceptions.create(exception('e1', t0, new Date(t0.getTime() + DAY), { scope: {} })), isValidation('exception.scope'));
      await assert.rejects(
        store.exceptions.create(exception('e1', t0, new Date(t0.getTime() + DAY), { scope: { control: 'firewall' as never } })),
        isValidation('exception.scope.control', /expected one of vulnerabilities/),
      );
      const report = scanReport('bad', { packages: 10 });
      delete (report.packages[3] as Record<string, unknown>).version;
      await assert.rejects(store.reports.put(report), isValidation('report.packages[3].version', /expected string/));
      const leaky = scanReport('leaky');
      (leaky.sensitiveData![0] as Record<string, unknown>).match = 'AKIAIOSFODNN7EXAMPLE';
      await assert.rejects(store.reports.put(leaky), isValidation('report.sensitiveData[0]', /unknown field match/));
      await assert.rejects(store.inventory.upsertSeen(seen(1, { digest: 'latest' }), new Date()), isValidation('ref.digest'));
      await assert.rejects(store.layerCache.put(sha('l'), { dpkg: 1.5 }, {}), isValidation('analyzerVersions.dpkg'));
      await assert.rejects(store.layerCache.put(sha('l'), { dpkg: 1 }, { when: new Date() } as never), isValidation('layerAnalysis.when'));
      for (const c of ['exceptions', 'reports', 'reportChunks', 'inventory', 'layerCache'] as const) {
        assert.equal(await countRaw(c), 0, `${c} is empty`);
      }
    }));

    it('refuses bad page requests', run(async ({ store }) => {
      await assert.rejects(store.policies.list({ limit: 0 }), isValidation('page.limit'));
      await assert.rejects(store.inventory.list({}, { limit: 100_000 }), isValidation('page.limit'));
      await assert.rejects(store.exceptions.list({ after: 'garbage' }), isValidation('page.after'));
      await store.inventory.upsertSeen(seen(1), new Date());
      await store.inventory.upsertSeen(seen(2), new Date());
      const page = await store.inventory.list({}, { limit: 1 });
      assert.ok(page.next);
      // A cursor belongs to its listing.
      await assert.rejects(store.reports.list({ after: page.next }), isValidation('page.after'));
      await assert.rejects(store.inventory.list({ repository: 'x' }), isValidation('filter.repository'));
    }));
  });

  describe(`${name}: exceptions`, () => {
    it('creates, reads, updates and deletes', run(async ({ store }) => {
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
    }));

    it('answers expiry queries, paginated', run(async ({ store }) => {
      const t0 = new Date('2025-01-01T00:00:00Z');
      const now = new Date(t0.getTime() + 10 * DAY);
      // 40 exceptions expiring one per day from t0+1d; several share an expiry time.
      const all = Array.from({ length: 40 }, (_, i) =>
        exception(`exc-${String(i).padStart(2, '0')}`, t0, new Date(t0.getTime() + (1 + Math.floor(i / 2)) * DAY)),
      );
      for (const e of [...all].reverse()) await store.exceptions.create(e);
      const expiresAfter = (e: (typeof all)[number], t: Date) => e.expiresAt.getTime() > t.getTime();

      const active = await collect((p) => store.exceptions.listActive(now, p), 7);
      assert.deepEqual(active.items.map((e) => e.id), all.filter((e) => expiresAfter(e, now)).map((e) => e.id));

      const expired = await collect((p) => store.exceptions.expired(now, p), 3);
      assert.deepEqual(expired.items.map((e) => e.id), all.filter((e) => !expiresAfter(e, now)).map((e) => e.id));
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
      assert.deepEqual(times, [...times].sort((a, b) => a - b));

      const everything = await collect((p) => store.exceptions.list(p), 9);
      assert.equal(everything.items.length, 40);
    }));
  });

  describe(`${name}: scan reports`, () => {
    it('stores, lists, replaces and deletes reports by digest and id', run(async ({ store, countRaw }) => {
      const a = scanReport(1);
      const b = scanReport(2);
      const metaA = await store.reports.put(a);
      await store.reports.put(b);
      assert.equal(metaA.digest, a.image.digest);
      assert.equal(metaA.reportId, 'report-1');
      assert.match(metaA.analyzerVersionsKey, /^[0-9a-f]{64}$/);
      assert.deepEqual(await store.reports.get(a.image.digest), a);
      assert.deepEqual(await store.reports.getById('report-2'), b);
      assert.deepEqual(await store.reports.meta(a.image.digest), metaA);
      assert.equal(await store.reports.get(sha('nothing')), undefined);
      assert.equal(await store.reports.getById('nothing'), undefined);
      const listed = await collect((p) => store.reports.list(p), 1);
      assert.deepEqual(listed.items.map((m) => m.digest), [a.image.digest, b.image.digest].sort());

      // A new scan of the same digest replaces the report and its chunks.
      const rescan = { ...scanReport(1), reportId: 'report-1b', analyzerVersions: { dpkg: 4 } };
      const metaR = await store.reports.put(rescan);
      assert.notEqual(metaR.analyzerVersionsKey, metaA.analyzerVersionsKey);
      assert.deepEqual(await store.reports.get(a.image.digest), rescan);
      assert.equal(await store.reports.getById('report-1'), undefined);
      assert.equal(await countRaw('reports'), 2);
      assert.equal(await countRaw('reportChunks'), 2, 'the replaced generation is gone');

      assert.equal(await store.reports.delete(a.image.digest), true);
      assert.equal(await store.reports.delete(a.image.digest), false);
      assert.equal(await store.reports.get(a.image.digest), undefined);
      assert.equal(await countRaw('reportChunks'), 1);
    }));

    it('a report id belongs to one digest; a failed write leaves nothing behind', run(async ({ store, countRaw }) => {
      const a = scanReport(1);
      await store.reports.put(a);
      const chunksBefore = await countRaw('reportChunks');
      const thief = scanReport(2, { reportId: 'report-1', packages: 300 });
      await assert.rejects(store.reports.put(thief), isConflict);
      assert.equal(await countRaw('reportChunks'), chunksBefore, 'chunks of the failed write were removed');
      assert.equal(await countRaw('reports'), 1);
      assert.equal(await store.reports.get(thief.image.digest), undefined);
      assert.deepEqual(await store.reports.getById('report-1'), a);
    }, { reportChunkBytes: 1024 }));

    it('cleans up orphaned chunks of interrupted writes, sparing recent ones', run(async ({ store, writeRaw, countRaw }) => {
      await store.reports.put(scanReport(1));
      const live = await countRaw('reportChunks');
      const old = new Date(Date.now() - 2 * 3_600_000);
      await writeRaw('reportChunks', { generation: 'orphan-old', n: 0, data: Buffer.from('x'), createdAt: old });
      await writeRaw('reportChunks', { generation: 'orphan-old', n: 1, data: Buffer.from('y'), createdAt: old });
      await writeRaw('reportChunks', { generation: 'in-flight', n: 0, data: Buffer.from('z'), createdAt: new Date() });
      const removed = await store.reports.cleanupOrphans(new Date(Date.now() - 3_600_000));
      assert.equal(removed, 2);
      assert.equal(await countRaw('reportChunks'), live + 1);
      assert.ok(await store.reports.get(sha('image-1')));
    }, { reportChunkBytes: 1024 }));

    it('readers racing writers of one digest see a whole report, never a torn one', run(async ({ store, openAnother, countRaw }) => {
      const writer = await openAnother();
      const versions = [1, 2, 3].map((v) => ({ ...scanReport('torn', { packages: 1500, vulnerabilities: 300 }), reportId: `torn-${v}`, vulnDbVersion: `db-${v}` }));
      await store.reports.put(versions[0]!);
      let writing = true;
      const writes = (async () => {
        for (let i = 0; i < 30; i++) await writer.reports.put(versions[i % versions.length]!);
        await Promise.all(versions.map((v) => writer.reports.put(v))); // concurrent writes of one digest
        writing = false;
      })();
      let reads = 0;
      // Several readers, so some read a head just before a writer replaces it and drops its chunks.
      await Promise.all(
        [store, writer, store, writer].map(async (s) => {
          while (writing) {
            const got = await s.reports.get(versions[0]!.image.digest);
            assert.ok(got, 'the report never disappears while being replaced');
            assert.deepEqual(got, versions.find((v) => v.reportId === got.reportId));
            reads++;
          }
        }),
      );
      await writes;
      const final = (await store.reports.meta(versions[0]!.image.digest))!;
      assert.equal(await countRaw('reports'), 1);
      assert.equal(await countRaw('reportChunks'), final.storage.chunks, 'replaced generations leave no chunks behind');
      assert.ok(reads > 0);
    }, { reportChunkBytes: 4096 }));

    it('a report of 100,000 packages (over 16 MB of JSON) round-trips exactly', run(async ({ store }) => {
      const report = scanReport('large', { packages: 100_000, vulnerabilities: 30_000 });
      const t0 = performance.now();
      const meta = await store.reports.put(report);
      const t1 = performance.now();
      assert.ok(meta.storage.jsonBytes > 16 * 1024 * 1024, `JSON is ${meta.storage.jsonBytes} bytes`);
      assert.ok(meta.storage.chunks > 1, `${meta.storage.chunks} chunks`);
      const back = await store.reports.get(report.image.digest);
      const t2 = performance.now();
      assert.deepEqual(back, report);
      assert.equal((await store.reports.getById(report.reportId))?.packages.length, 100_000);
      console.log(
        `# ${name}: 100k-package report: ${(meta.storage.jsonBytes / 2 ** 20).toFixed(1)} MiB JSON, ` +
          `${(meta.storage.compressedBytes / 2 ** 20).toFixed(1)} MiB stored in ${meta.storage.chunks} chunks; ` +
          `put ${Math.round(t1 - t0)} ms, get ${Math.round(t2 - t1)} ms`,
      );
    }, { reportChunkBytes: 1024 * 1024 }));
  });

  describe(`${name}: layer analysis cache`, () => {
    const clock = manualClock();
    it('gets, puts and checks by (layer digest, analyzer versions)', run(async ({ store }) => {
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
    }));

    it('refreshes lastUsed on a hit and evicts entries unused since a time', run(async ({ store, countRaw }) => {
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
    }, { clock: clock.now }));
  });

  describe(`${name}: image inventory`, () => {
    it('records sightings: tags, locations, first and last seen', run(async ({ store }) => {
      const t = (h: number) => new Date(Date.UTC(2025, 0, 1, h));
      const ref = seen(1, { tag: 'v1', mediaType: 'application/vnd.oci.image.manifest.v1+json' });
      const created = await store.inventory.upsertSeen(ref, t(10));
      assert.equal(created.scanStatus, 'pending');
      assert.deepEqual(created.tags, [{ registry: ref.registry, repository: ref.repository, tag: 'v1', firstSeen: t(10), lastSeen: t(10) }]);
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
        [['team-a/api', 'v1', 9, 12], ['team-a/api', 'latest', 11, 11], ['team-b/mirror', 'v1', 13, 13]],
      );
      assert.deepEqual(rec.locations.map((l) => l.repository), ['team-a/api', 'team-b/mirror']);
      assert.equal(await store.inventory.get(sha('unknown')), undefined);
    }));

    it('tracks scan status, ignoring stale events', run(async ({ store }) => {
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
    }));

    it('finds images by repository and filter, paginated without duplicates or gaps', run(async ({ store }) => {
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
      assert.deepEqual(inA.items.map((r) => r.digest), [...a].sort());
      const inB = await collect((p) => store.inventory.findByRepository('registry.example.com', 'team-b/web', p), 4);
      assert.deepEqual(inB.items.map((r) => r.digest), [...b].sort());
      const reg = await collect((p) => store.inventory.list({ registry: 'registry.example.com' }, p), 11);
      assert.equal(reg.items.length, 60);
      const done = await collect((p) => store.inventory.list({ scanStatus: 'succeeded' }, p), 3);
      assert.deepEqual(done.items.map((r) => r.digest), a.slice(0, 10).sort());
      const pendingA = await store.inventory.list({ registry: 'registry.example.com', repository: 'team-a/api', scanStatus: 'pending' }, { limit: 1000 });
      assert.equal(pendingA.items.length, a.length - 10);
      const everything = await collect((p) => store.inventory.list({}, p), 13);
      assert.equal(everything.items.length, 61);
      assert.equal(new Set(everything.items.map((r) => r.digest)).size, 61);
    }));

    it('keeps pagination stable while images are added between pages', run(async ({ store }) => {
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
    }));

    it('concurrent sightings of one image from two connections lose no tag', run(async ({ store, openAnother }) => {
      const other = await openAnother();
      const at = new Date('2025-01-01T00:00:00Z');
      const tags = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
      await Promise.all(tags.map((tag, i) => (i % 2 ? store : other).inventory.upsertSeen(seen(1, { tag }), at)));
      const rec = (await store.inventory.get(seen(1).digest))!;
      assert.deepEqual(rec.tags.map((t) => t.tag).sort(), [...tags].sort());
      assert.equal((await collect((p) => store.inventory.list({}, p), 10)).items.length, 1);
    }));
  });

  describe(`${name}: schema versions`, () => {
    it('upgrades a v1 policy on read, and writes the next version at the current schema', run(async ({ store, writeRaw }) => {
      const v1doc = imagePolicy() as unknown as Record<string, unknown>;
      const controls = v1doc.controls as Record<string, unknown>;
      controls.vulnerabilities = { severityThreshold: 'HIGH', ignoreUnfixed: false };
      await writeRaw('policies', {
        schemaVersion: 1,
        id: 'legacy',
        version: 1,
        document: v1doc,
        createdAt: new Date('2024-01-01T00:00:00Z'),
        createdBy: 'prototype',
        deleted: false,
      });
      const cur = await store.policies.current('legacy');
      assert.deepEqual(cur?.document?.controls.vulnerabilities, { maxSeverity: 'high', ignoreUnfixed: false });
      assert.equal(cur?.createdBy, 'prototype');
      const next = await store.policies.put('legacy', cur!.document!, { expectedVersion: 1, by: 'alice' });
      assert.equal(next.version, 2);
      assert.deepEqual((await store.policies.history('legacy')).map((r) => r.document?.controls.vulnerabilities?.maxSeverity), ['high', 'high']);
    }));

    it('upgrades a v1 inventory record (tags as names) on read, and updates it', run(async ({ store, writeRaw }) => {
      const d = sha('legacy-image');
      const first = new Date('2024-03-01T00:00:00Z');
      const last = new Date('2024-04-01T00:00:00Z');
      // No schemaVersion at all: written before the field existed, i.e. v1.
      await writeRaw('inventory', {
        digest: d,
        registry: 'registry.example.com',
        repository: 'legacy/app',
        tags: ['1.0', 'latest'],
        firstSeen: first,
        lastSeen: last,
        scanStatus: 'succeeded',
        lastScanned: last,
      });
      const rec = await store.inventory.get(d);
      assert.deepEqual(rec?.tags, [
        { registry: 'registry.example.com', repository: 'legacy/app', tag: '1.0', firstSeen: first, lastSeen: last },
        { registry: 'registry.example.com', repository: 'legacy/app', tag: 'latest', firstSeen: first, lastSeen: last },
      ]);
      assert.deepEqual(rec?.locations, [{ registry: 'registry.example.com', repository: 'legacy/app', firstSeen: first, lastSeen: last }]);
      const later = new Date('2024-05-01T00:00:00Z');
      const updated = await store.inventory.upsertSeen({ registry: 'registry.example.com', repository: 'legacy/app', digest: d, tag: 'latest' }, later);
      assert.deepEqual(updated.tags.find((t) => t.tag === 'latest')?.lastSeen, later);
      assert.deepEqual(await store.inventory.get(d), updated);
      // After its first write in the current shape, repository queries find it.
      assert.deepEqual((await store.inventory.findByRepository('registry.example.com', 'legacy/app')).items.map((r) => r.digest), [d]);
    }));

    it('refuses a document written by newer code with a clear error', run(async ({ store, writeRaw }) => {
      await writeRaw('policies', {
        schemaVersion: 99,
        id: 'future',
        version: 1,
        document: { name: 'from the future', shape: 'unknown' },
        createdAt: new Date(),
        createdBy: 'assay-v9',
        deleted: false,
      });
      await assert.rejects(store.policies.current('future'), (err) => {
        assert.ok(err instanceof SchemaVersionError, String(err));
        assert.match(err.message, /policies document future v1 has schemaVersion 99.*reads only up to 2.*newer/);
        return true;
      });
    }));
  });

  describe(`${name}: store`, () => {
    it('pings, and pages helpers iterate everything', run(async ({ store }) => {
      await store.ping();
      for (let i = 0; i < 5; i++) await store.inventory.upsertSeen(seen(i), new Date());
      const all: string[] = [];
      for await (const r of allPages((p) => store.inventory.list({}, p), 2)) all.push(r.digest);
      assert.equal(all.length, 5);
    }));

    it('has one identity per database: created once, shared by every connection, racing creators agree', run(async (h) => {
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
    }));

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
