// @assay/kube KubeClient against the Kubernetes API stand-in (always) and a real API server
// (when KUBE_API_URL is set): create/get/list/replace/delete, 404 as undefined, 409 on an
// existing name and on a stale resourceVersion, the status subresource, paged lists, and the
// 422 Invalid a CRD schema answers with the field named.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeApiError, KubeClient, type KubeObject } from '@assay/kube';
import { NAMESPACES, POLICY_EXCEPTIONS, RUNTIME_POLICIES, targets, uniquePrefix, type Target } from './targets.ts';

const rejectsWith = (p: Promise<unknown>, status: number, reason: string) =>
  assert.rejects(p, (err: unknown) => err instanceof KubeApiError && err.status === status && err.reason === reason);

for (const target of targets) {
  describe(`kube client (${target.kind})`, () => {
    let t: Target;
    let client: KubeClient;
    const prefix = uniquePrefix('kc');
    const ns = `${prefix}-ns`;
    const policy = (name: string, spec: unknown): KubeObject => ({
      apiVersion: 'assay.dev/v1',
      kind: 'RuntimePolicy',
      metadata: { name },
      spec,
    });

    before(async () => {
      t = await target.make();
      client = new KubeClient(t.connection, { timeoutMs: 10_000 });
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    });
    after(async () => {
      for (const p of (await client.list(RUNTIME_POLICIES)).items)
        if (p.metadata.name.startsWith(prefix)) await client.delete(RUNTIME_POLICIES, p.metadata.name);
      await client.delete(NAMESPACES, ns);
      await t.close();
    });

    it('creates, gets, refuses a second create of the name, deletes (a missing object is undefined, deleting it is no error)', async () => {
      const name = `${prefix}-a`;
      const made = await client.create(RUNTIME_POLICIES, policy(name, { action: 'deny' }));
      assert.equal(made.metadata.name, name);
      assert.match(made.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(made.metadata.creationTimestamp);
      assert.equal(made.metadata.generation, 1);
      assert.ok(made.metadata.resourceVersion);
      assert.deepEqual((await client.get(RUNTIME_POLICIES, name))?.spec, { action: 'deny' });
      await rejectsWith(client.create(RUNTIME_POLICIES, policy(name, { action: 'warn' })), 409, 'AlreadyExists');
      await client.delete(RUNTIME_POLICIES, name);
      assert.equal(await client.get(RUNTIME_POLICIES, name), undefined);
      await client.delete(RUNTIME_POLICIES, name);
    });

    it('replace: 409 Conflict on a stale resourceVersion; a spec change moves generation on; status only through the subresource', async () => {
      const name = `${prefix}-b`;
      const v1 = await client.create(RUNTIME_POLICIES, policy(name, { action: 'deny' }));
      const v2 = await client.replace(RUNTIME_POLICIES, { ...v1, spec: { action: 'warn' }, status: { observedGeneration: 99 } });
      assert.equal(v2.metadata.generation, 2);
      assert.equal(v2.status, undefined, 'a PUT of the object ignores status');
      await rejectsWith(client.replace(RUNTIME_POLICIES, { ...v1, spec: { action: 'audit' } }), 409, 'Conflict');
      const v3 = await client.replaceStatus(RUNTIME_POLICIES, { ...v2, spec: { action: 'audit' }, status: { observedGeneration: 2 } });
      assert.deepEqual(v3.status, { observedGeneration: 2 });
      assert.deepEqual(v3.spec, { action: 'warn' }, 'a PUT of status changes only status');
      assert.equal(v3.metadata.generation, 2, 'a status change is no new generation');
      assert.notEqual(v3.metadata.resourceVersion, v2.metadata.resourceVersion);
      await rejectsWith(client.replaceStatus(RUNTIME_POLICIES, { ...v2, status: { observedGeneration: 1 } }), 409, 'Conflict');
    });

    it('lists in pages (namespaced objects, in one namespace and across all)', async () => {
      for (let i = 0; i < 5; i++) {
        await client.create(POLICY_EXCEPTIONS, {
          apiVersion: 'assay.dev/v1',
          kind: 'PolicyException',
          metadata: { name: `${prefix}-x${i}`, namespace: ns },
          spec: {},
        });
      }
      const names: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await client.list(POLICY_EXCEPTIONS, { namespace: ns, limit: 2, ...(cont ? { continue: cont } : {}) });
        assert.ok(page.items.length <= 2);
        assert.ok(page.resourceVersion);
        names.push(...page.items.map((o) => o.metadata.name));
        cont = page.continue;
        pages += 1;
      } while (cont);
      assert.equal(pages, 3);
      assert.deepEqual(
        names.sort(),
        [0, 1, 2, 3, 4].map((i) => `${prefix}-x${i}`),
      );
      const all = await client.list(POLICY_EXCEPTIONS);
      assert.equal(all.items.filter((o) => o.metadata.namespace === ns).length, 5);
      assert.equal(
        await client.get(POLICY_EXCEPTIONS, `${prefix}-x0`, 'default'),
        undefined,
        'namespaced: another namespace does not have it',
      );
    });

    it('a CRD schema refusing an object is 422 Invalid naming the field', async (c) => {
      if (!t.standin) return c.skip('the real CRD schema is tested with the deploy manifests');
      const err = await client.create(RUNTIME_POLICIES, policy(`${prefix}-bad`, { action: 'explode' })).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 422);
      assert.equal(err.reason, 'Invalid');
      assert.deepEqual(
        err.causes.map((x) => x.field),
        ['spec.action'],
      );
      assert.equal(await client.get(RUNTIME_POLICIES, `${prefix}-bad`), undefined);
    });
  });
}
