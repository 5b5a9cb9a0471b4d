// @assay/kube Informer against the Kubernetes API stand-in (always) and a real API server (when
// KUBE_API_URL is set): the paged list then the watch deliver every object and change; and, with
// the stand-in's faults: bookmarks move the version on, a dropped watch resumes without a
// re-list, 410 Gone re-lists (relisted gets the full set; a deletion during the gap is seen),
// and an event larger than the cap is refused, not delivered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Informer, KubeClient, type KubeObject } from '@assay/kube';
import { waitFor } from '../support/processes.ts';
import { NAMESPACES, POLICY_EXCEPTIONS, targets, uniquePrefix, type Target } from './targets.ts';

for (const target of targets) {
  describe(`kube informer (${target.kind})`, () => {
    let t: Target;
    let client: KubeClient;
    const prefix = uniquePrefix('ki');
    const ns = `${prefix}-ns`;
    const informers: Informer[] = [];
    const exception = (name: string, annotations?: Record<string, string>): KubeObject => ({
      apiVersion: 'assay.dev/v1',
      kind: 'PolicyException',
      metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
      spec: { reason: 'test' },
    });
    /** An informer over the test namespace's exceptions, recording what it delivers. */
    const watch = (opts: { maxEventBytes?: number } = {}) => {
      const seen = new Map<string, KubeObject>();
      const removed: string[] = [];
      const relisted: string[][] = [];
      const inf = new Informer(
        client,
        POLICY_EXCEPTIONS,
        {
          upsert: (o) => void seen.set(o.metadata.name, o),
          remove: (o) => {
            seen.delete(o.metadata.name);
            removed.push(o.metadata.name);
          },
          relisted: (objs) => void relisted.push(objs.map((o) => o.metadata.name).sort()),
        },
        { namespace: ns, pageSize: 2, backoff: { min: 50, max: 500 }, ...opts },
      );
      informers.push(inf);
      inf.start();
      return { inf, seen, removed, relisted };
    };

    before(async () => {
      t = await target.make();
      client = new KubeClient(t.connection, { timeoutMs: 10_000 });
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (const n of ['a', 'b', 'c']) await client.create(POLICY_EXCEPTIONS, exception(`${prefix}-${n}`));
    });
    after(async () => {
      for (const i of informers) await i.stop();
      await client.delete(NAMESPACES, ns);
      await t.close();
    });

    it('lists (paged) then watches: additions, changes and deletions are delivered', async () => {
      const { inf, seen, removed, relisted } = watch();
      await inf.synced;
      assert.deepEqual([...seen.keys()].sort(), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
      assert.deepEqual(relisted, [[`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]]);
      assert.ok(inf.resourceVersion);
      await client.create(POLICY_EXCEPTIONS, exception(`${prefix}-d`));
      await waitFor('the addition', () => seen.get(`${prefix}-d`));
      const b = (await client.get(POLICY_EXCEPTIONS, `${prefix}-b`, ns))!;
      await client.replace(POLICY_EXCEPTIONS, { ...b, spec: { reason: 'changed' } });
      await waitFor('the change', () => ((seen.get(`${prefix}-b`)?.spec as { reason?: string })?.reason === 'changed' ? true : undefined));
      await client.delete(POLICY_EXCEPTIONS, `${prefix}-d`, ns);
      await waitFor('the deletion', () => (removed.includes(`${prefix}-d`) ? true : undefined));
      assert.equal(inf.lists, 1);
      assert.equal(inf.staleSeconds(), 0);
    });

    it('a bookmark moves the version on; a dropped watch resumes from it without a re-list', async (c) => {
      const s = t.standin;
      if (!s) return c.skip('only the stand-in sends bookmarks on demand and drops watches');
      const { inf, seen } = watch();
      await inf.synced;
      await waitFor('a watch open', () => (s.openWatches > 0 ? true : undefined));
      s.createNamespace(`${prefix}-other`); // another resource: the version moves on, no event here
      // Sent until this informer's watch (perhaps not open yet) has taken one.
      await waitFor('the bookmark', () => {
        s.bookmark();
        return inf.resourceVersion === s.resourceVersion ? true : undefined;
      });
      s.refuseWatches = true;
      s.dropWatches();
      await client.create(POLICY_EXCEPTIONS, exception(`${prefix}-e`));
      await waitFor('the watch broken', () => (inf.staleSeconds() > 0 ? true : undefined));
      s.refuseWatches = false;
      await waitFor('the change made while dropped', () => seen.get(`${prefix}-e`));
      assert.equal(inf.lists, 1, 'resumed from its resourceVersion, not re-listed');
      await waitFor('fresh again', () => (inf.staleSeconds() === 0 ? true : undefined));
    });

    it('410 Gone re-lists: relisted gets the full set and a deletion during the gap is seen', async (c) => {
      const s = t.standin;
      if (!s) return c.skip('only the stand-in expires versions on demand');
      const { inf, seen, removed, relisted } = watch();
      await inf.synced;
      await waitFor('a watch open', () => (s.openWatches > 0 ? true : undefined));
      s.refuseWatches = true;
      s.dropWatches();
      await client.delete(POLICY_EXCEPTIONS, `${prefix}-a`, ns);
      await client.create(POLICY_EXCEPTIONS, exception(`${prefix}-f`));
      s.compact();
      s.refuseWatches = false;
      await waitFor('the re-list', () => (inf.lists === 2 ? true : undefined));
      assert.ok(removed.includes(`${prefix}-a`), 'the deletion during the gap is delivered');
      assert.ok(!seen.has(`${prefix}-a`));
      assert.ok(seen.has(`${prefix}-f`));
      const full = s
        .objects('policyexceptions', ns)
        .map((o) => o.metadata.name)
        .sort();
      assert.deepEqual(relisted.at(-1), full);
    });

    it('an event larger than the cap is refused and not delivered', async () => {
      const { inf, seen } = watch({ maxEventBytes: 8 * 1024 });
      await inf.synced;
      await client.create(POLICY_EXCEPTIONS, exception(`${prefix}-big`, { note: 'x'.repeat(16 * 1024) }));
      const error = await waitFor('the refusal', () => inf.lastError);
      assert.match(error, /larger than 8192 bytes/);
      assert.ok(!seen.has(`${prefix}-big`));
      await client.delete(POLICY_EXCEPTIONS, `${prefix}-big`, ns);
    });
  });
}
