// The policy service's Kubernetes controller: ImageAssurancePolicy, RuntimePolicy and
// PolicyException custom resources kept in the store and their status written, against the
// Kubernetes API stand-in (and a real API server with the assay.dev CRDs installed when
// KUBE_API_URL and KUBE_TOKEN are set; KUBE_CA: its CA file). Objects are applied as kubectl
// does: create, or replace from the current object.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { KubeClient, type KubeObject, type ResourceRef } from '@assay/kube';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const KUBE_TOKEN = 'kube-token-0123456789';
const ref = (plural: string, namespaced = false): ResourceRef => ({ group: 'assay.dev', version: 'v1', plural, namespaced });
const IAP = ref('imageassurancepolicies');
const PEX = ref('policyexceptions', true);

/** A unique name per run, so a real cluster's leftovers never meet this run's objects. */
const run = Date.now().toString(36);
const name = (n: string) => `${n}-${run}`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const condition = (o: KubeObject | undefined) =>
  (o?.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions?.find((c) => c.type === 'Accepted');

const vulnPolicy = (maxSeverity: string, over: Record<string, unknown> = {}) => ({
  name: 'no criticals',
  enabled: true,
  action: 'block',
  scope: { registries: ['registry.example.com'] },
  controls: { vulnerabilities: { maxSeverity } },
  ...over,
});

describe('policy: Kubernetes controller (policies as custom resources)', () => {
  let standin: KubeApiStandin | undefined;
  let h: Harness;
  let client: KubeClient;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;

  /** kubectl apply: create, or replace the current object's spec, labels and annotations. */
  async function apply(r: ResourceRef, kind: string, metadata: KubeObject['metadata'], spec: unknown): Promise<KubeObject> {
    const current = await client.get(r, metadata.name, metadata.namespace);
    if (!current) return client.create(r, { apiVersion: 'assay.dev/v1', kind, metadata, spec });
    return client.replace(r, { ...current, metadata: { ...current.metadata, ...metadata }, spec });
  }
  const getObj = (r: ResourceRef, n: string, ns?: string) => client.get(r, n, ns);

  before(async () => {
    dir = await makeTempDir('kube-controller');
    const tokenFile = join(dir.path, 'token');
    let url: string;
    if (process.env.KUBE_API_URL && process.env.KUBE_TOKEN) {
      url = process.env.KUBE_API_URL;
      writeFileSync(tokenFile, process.env.KUBE_TOKEN);
    } else {
      standin = await KubeApiStandin.start({ token: KUBE_TOKEN });
      url = standin.url;
      writeFileSync(tokenFile, KUBE_TOKEN);
    }
    const env: Record<string, string> = {
      POLICY_KUBERNETES: 'true',
      POLICY_KUBE_API_URL: url,
      POLICY_KUBE_TOKEN_FILE: tokenFile,
      // Exceptions that change verdicts come from this namespace only (team namespaces: break glass).
      POLICY_EXCEPTION_NAMESPACES: 'assay-*',
    };
    if (process.env.KUBE_CA) env.POLICY_KUBE_CA = process.env.KUBE_CA;
    h = await startHarness(env);
    client = new KubeClient({ url, tokenFile, ...(process.env.KUBE_CA ? { ca: readFileSync(process.env.KUBE_CA, 'utf8') } : {}) });
    await h.api.kube!.synced;
  });
  after(async () => {
    for (const n of ['crit', 'bad', 'taken'].map(name)) await client?.delete(IAP, n).catch(() => undefined);
    await h?.close();
    await standin?.close();
    await dir?.remove();
  });

  it('apply stores the policy (with its resource version), changes verdicts within a second, and says Accepted; an invalid spec changes nothing; delete leaves a tombstone', async () => {
    const digest = sha(`kube-crit-${run}`);
    await h.storeAndAnnounce(report({ vulnerabilities: [vuln('CVE-2026-0001', 'high')] }, { digest }));
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.COMPLIANT);

    const id = name('crit');
    const started = Date.now();
    const applied = await apply(IAP, 'ImageAssurancePolicy', { name: id }, vulnPolicy('medium'));
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 1000);
    assert.ok(Date.now() - started < 1000);
    const stored = await h.api.engine.store.policies.current(id);
    assert.equal(stored?.version, 1);
    assert.equal(stored?.source?.managedBy, 'kubernetes');
    assert.equal(stored?.source?.uid, applied.metadata.uid);
    assert.equal(stored?.source?.resourceVersion, applied.metadata.resourceVersion);
    const accepted = await waitFor('Accepted True', async () => {
      const o = await getObj(IAP, id);
      return condition(o)?.status === 'True' ? o : undefined;
    });
    const st = accepted!.status as Record<string, unknown>;
    assert.equal(st.observedGeneration, applied.metadata.generation);
    assert.equal(st.storedVersion, 1);
    assert.equal(condition(accepted)?.reason, 'Accepted');

    // Status counts: the one image in scope is non-compliant under it.
    const counted = await waitFor(
      'image counts',
      async () => {
        const o = await getObj(IAP, id);
        const images = (o?.status as { images?: { compliant: number; nonCompliant: number } } | undefined)?.images;
        return images && images.nonCompliant === 1 ? images : undefined;
      },
      8000,
    );
    assert.deepEqual(counted, { compliant: 0, nonCompliant: 1 });

    // REST cannot change or delete it.
    const put = await h.call('PUT', `/api/v1/policies/${id}`, { document: vulnPolicy('critical'), expectedVersion: 1 });
    assert.equal(put.status, 409);
    assert.match(put.json.error, new RegExp(`managed by Kubernetes \\(imageassurancepolicies/${id}\\): change it with kubectl`));
    assert.equal((await h.call('DELETE', `/api/v1/policies/${id}`)).status, 409);
    const imported = await h.call(
      'POST',
      '/api/v1/import',
      `apiVersion: assay.dev/v1\nkind: ImageAssurancePolicy\nid: ${id}\nspec:\n  name: x\n  enabled: true\n  action: audit\n  controls: {}\n`,
      {
        'content-type': 'application/yaml',
      },
    );
    assert.equal(imported.status, 409, imported.text);
    assert.equal((await h.api.engine.store.policies.history(id)).length, 1);

    // Invalid: Accepted False, Invalid, naming the field; the previous version stays in force.
    const bad = await apply(IAP, 'ImageAssurancePolicy', { name: id }, vulnPolicy('catastrophic'));
    const invalid = await waitFor('Invalid', async () => {
      const o = await getObj(IAP, id);
      const c = condition(o);
      return c?.reason === 'Invalid' && (o!.status as { observedGeneration?: number }).observedGeneration === bad.metadata.generation
        ? c
        : undefined;
    });
    assert.equal(invalid.status, 'False');
    assert.match(String(invalid.message), /spec\.controls\.vulnerabilities\.maxSeverity/);
    assert.equal((await h.api.engine.store.policies.history(id)).length, 1);
    assert.equal((await h.verdict(digest))?.verdict.compliance, Compliance.NON_COMPLIANT);
    // The status still says which version is in force.
    assert.equal((await getObj(IAP, id))?.status?.['storedVersion' as never], 1);

    // Deleted: a tombstone, and the verdict no longer carries the policy.
    await client.delete(IAP, id);
    await waitFor('tombstone', async () => ((await h.api.engine.store.policies.history(id)).at(-1)?.deleted ? true : undefined));
    assert.equal(await h.api.engine.store.policies.current(id), undefined);
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.COMPLIANT, 2000);
  });

  it('a resource naming a document the API manages says ManagedByApi and changes nothing, until annotated to adopt it', async () => {
    const id = name('taken');
    const created = await h.call('POST', '/api/v1/policies', { id, document: vulnPolicy('critical') });
    assert.equal(created.status, 201, created.text);
    await apply(IAP, 'ImageAssurancePolicy', { name: id }, vulnPolicy('low'));
    const c = await waitFor('ManagedByApi', async () => {
      const x = condition(await getObj(IAP, id));
      return x?.reason === 'ManagedByApi' ? x : undefined;
    });
    assert.equal(c.status, 'False');
    assert.equal((await h.api.engine.store.policies.current(id))?.version, 1);
    assert.equal((await h.api.engine.store.policies.current(id))?.document?.controls.vulnerabilities?.maxSeverity, 'critical');

    await apply(IAP, 'ImageAssurancePolicy', { name: id, annotations: { 'assay.dev/managed-by': 'kubernetes' } }, vulnPolicy('low'));
    const adopted = await waitFor('adopted', async () => {
      const r = await h.api.engine.store.policies.current(id);
      return r?.source?.managedBy === 'kubernetes' ? r : undefined;
    });
    assert.equal(adopted.version, 2);
    assert.equal(adopted.document?.controls.vulnerabilities?.maxSeverity, 'low');
    await waitFor('Accepted after adoption', async () => (condition(await getObj(IAP, id))?.status === 'True' ? true : undefined));
    assert.equal((await h.call('PUT', `/api/v1/policies/${id}`, { document: vulnPolicy('high'), expectedVersion: 2 })).status, 409);
  });

  it('a PolicyException in the platform namespace is stored as <namespace>.<name>, filled from its metadata; the REST API cannot change it', async () => {
    const ns = 'assay-system';
    if (standin) standin.createNamespace(ns);
    const n = name('waiver');
    const obj = await apply(
      PEX,
      'PolicyException',
      { name: n, namespace: ns },
      {
        scope: { repository: 'team-a/*', control: 'vulnerabilities' },
        reason: 'fix ships next sprint',
        expiresAt: '2099-01-01T00:00:00Z',
      },
    );
    const id = `${ns}.${n}`;
    const e = await waitFor('exception stored', () => h.api.engine.store.exceptions.get(id));
    assert.equal(e.createdBy, `kubernetes:${ns}/${n}`);
    assert.equal(e.createdAt.toISOString().replace(/\.\d+Z$/, 'Z'), obj.metadata.creationTimestamp);
    assert.equal(e.scope.namespaces, undefined, 'a platform exception is not narrowed to a namespace');
    assert.equal((await h.api.changes.latestExceptionVersion(id))?.source?.managedBy, 'kubernetes');
    const put = await h.call('PUT', `/api/v1/exceptions/${id}`, {
      scope: { repository: 'x/*' },
      reason: 'r',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    assert.equal(put.status, 409);
    assert.match(put.json.error, new RegExp(`policyexceptions/${n} -n ${ns}`));
    await client.delete(PEX, n, ns);
    await waitFor('exception deleted', async () => ((await h.api.engine.store.exceptions.get(id)) ? undefined : true));
  });

  it("a team's own PolicyException must break glass, and then holds in its namespace only", async () => {
    const ns = 'team-a';
    if (standin) standin.createNamespace(ns);
    const spec = { scope: { repository: 'team-a/*' }, reason: 'incident 42', expiresAt: '2099-01-01T00:00:00Z' };
    // Excusing findings would change the verdict in every namespace: refused, nothing stored.
    const waiver = name('waiver');
    await apply(PEX, 'PolicyException', { name: waiver, namespace: ns }, spec);
    const refused = await waitFor('Invalid', async () => {
      const c = condition(await getObj(PEX, waiver, ns));
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(refused.reason, 'Invalid');
    assert.match(String(refused.message ?? ''), /spec\.breakGlass: .*must be breakGlass/);
    assert.equal(await h.api.engine.store.exceptions.get(`${ns}.${waiver}`), undefined);
    // Break glass: accepted, pinned to its own namespace.
    const glass = name('glass');
    await apply(PEX, 'PolicyException', { name: glass, namespace: ns }, { ...spec, breakGlass: true });
    const e = await waitFor('break-glass stored', () => h.api.engine.store.exceptions.get(`${ns}.${glass}`));
    assert.deepEqual(e.scope.namespaces, [ns]);
    // Naming another namespace is refused.
    const other = name('other');
    await apply(
      PEX,
      'PolicyException',
      { name: other, namespace: ns },
      { ...spec, breakGlass: true, scope: { ...spec.scope, namespaces: ['prod'] } },
    );
    const c = await waitFor('Invalid', async () => {
      const x = condition(await getObj(PEX, other, ns));
      return x?.status === 'False' ? x : undefined;
    });
    assert.match(String(c.message ?? ''), /spec\.scope\.namespaces: .*applies to team-a only/);
    for (const n of [waiver, glass, other]) await client.delete(PEX, n, ns);
  });

  it('a restart (a new controller on the same store) writes nothing new', async () => {
    const id = name('steady');
    await apply(IAP, 'ImageAssurancePolicy', { name: id }, vulnPolicy('critical'));
    await waitFor('Accepted', async () => (condition(await getObj(IAP, id))?.status === 'True' ? true : undefined));
    const before = (await h.api.engine.store.policies.history(id)).length;
    // The verdicts this policy changed, and the counts refreshed after them (at most every 2 s).
    await h.settled();
    await new Promise((r) => setTimeout(r, 2500));
    await h.api.kube!.refreshCounts();
    const statusWrites = standin?.counters.statusReplaces;
    const statuses = standin ? JSON.stringify(standin.objects('imageassurancepolicies').map((o) => [o.metadata.name, o.status])) : '';
    await h.restart();
    await h.api.kube!.synced;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await h.api.engine.store.policies.history(id)).length, before);
    if (standin) {
      assert.equal(
        standin.counters.statusReplaces,
        statusWrites,
        `an unchanged status is not rewritten: ${statuses} → ${JSON.stringify(standin.objects('imageassurancepolicies').map((o) => [o.metadata.name, o.status]))}`,
      );
    }
    await client.delete(IAP, id);
  });
});
