// The REST API: token auth, validation naming the field, versions and diffs, YAML export and
// import round trip, dry-run evaluation, the OpenAPI document, and one-line config errors.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@assay/config';
import { parseTokenFile, policyService } from '@assay/policy';
import { createService } from '@assay/service-kit';
import { fromBinary } from '@bufbuild/protobuf';
import { AuditEventSchema, Buckets, ChangeType, PolicyChangedSchema, Streams, Topics } from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { parseAllDocuments } from 'yaml';
import { makeTempDir } from '../support/tempdir.ts';
import { startHarness, TOKEN, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const doc = (over: Partial<ImageAssurancePolicy> = {}): ImageAssurancePolicy => ({
  name: 'api',
  enabled: true,
  action: 'block',
  scope: { registries: ['registry.example.com'] },
  controls: { vulnerabilities: { maxSeverity: 'high' } },
  ...over,
});

describe('policy REST API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('refuses /api requests without the right bearer token; health stays open', async () => {
    assert.equal((await fetch(`${h.url}/api/v1/policies`)).status, 401);
    assert.equal((await fetch(`${h.url}/api/v1/policies`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await fetch(`${h.url}/api/v1/export`, { headers: { authorization: TOKEN } })).status, 401);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    assert.equal((await h.call('GET', '/api/v1/policies')).status, 200);
  });

  it('an invalid policy is refused with 400 naming the field', async () => {
    const bad = await h.call('POST', '/api/v1/policies', {
      id: 'bad',
      document: { ...doc(), controls: { vulnerabilities: { maxSeverity: 'HIGHEST' } } },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /policy\.controls\.vulnerabilities\.maxSeverity/);
    const unknown = await h.call('POST', '/api/v1/policies', { id: 'bad', document: { ...doc(), colour: 'red' } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error, /unknown field colour/);
    const noDoc = await h.call('POST', '/api/v1/policies', { id: 'bad' });
    assert.equal(noDoc.status, 400);
    assert.match(noDoc.json.error, /document/);
    assert.equal((await h.call('GET', '/api/v1/policies/bad')).status, 404);
  });

  it('versions and diffs; PUT needs a version; changes are announced and audited', async () => {
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'versioned', document: doc() })).status, 201);
    assert.equal((await h.call('PUT', '/api/v1/policies/versioned', { document: doc() })).status, 428);
    const v2 = await h.call(
      'PUT',
      '/api/v1/policies/versioned',
      { document: doc({ controls: { vulnerabilities: { maxSeverity: 'medium' } } }) },
      { 'if-match': '"1"' },
    );
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.json.version, 2);
    assert.equal(v2.headers.get('etag'), '"2"');
    assert.equal(v2.json.createdBy, 'alice');
    const stale = await h.call('PUT', '/api/v1/policies/versioned', { document: doc(), expectedVersion: 1 });
    assert.equal(stale.status, 409);
    const one = await h.call('GET', '/api/v1/policies/versioned/versions/1');
    assert.equal(one.json.document.controls.vulnerabilities.maxSeverity, 'high');
    assert.equal((await h.call('GET', '/api/v1/policies/versioned/versions')).json.items.length, 2);
    const diff = await h.call('GET', '/api/v1/policies/versioned/diff?from=1&to=2');
    assert.deepEqual(diff.json.changes, [{ op: 'replace', path: '/controls/vulnerabilities/maxSeverity', from: 'high', to: 'medium' }]);
    const del = await h.call('DELETE', '/api/v1/policies/versioned');
    assert.equal(del.status, 200);
    assert.equal(del.json.deleted, true);
    assert.equal((await h.call('GET', '/api/v1/policies/versioned')).status, 404);

    const jsm = await h.admin.jetstreamManager();
    const changed = fromBinary(
      PolicyChangedSchema,
      (await jsm.streams.getMessage(Streams.policy.name, { last_by_subj: Topics.policyChanged.subject })).data,
    );
    assert.deepEqual([changed.policyId, changed.version, changed.change, changed.changedBy], ['versioned', 3, ChangeType.DELETED, 'alice']);
    const audit = fromBinary(
      AuditEventSchema,
      (await jsm.streams.getMessage(Streams.audit.name, { last_by_subj: Topics.auditPolicy.subject })).data,
    );
    assert.equal(audit.event.case, 'policyChange');
    if (audit.event.case === 'policyChange') {
      assert.deepEqual(
        [audit.event.value.policyId, audit.event.value.version, audit.event.value.user?.username],
        ['versioned', 3, 'alice'],
      );
      // A delete records what was there, and nothing after.
      assert.equal(JSON.parse(audit.event.value.beforeJson).controls.vulnerabilities.maxSeverity, 'medium');
      assert.equal(audit.event.value.afterJson, '');
    }
    // The update before it recorded both sides.
    const all = await jsm.streams.info(Streams.audit.name);
    const updates: { before: string; after: string }[] = [];
    for (let seq = all.state.first_seq; seq <= all.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
      if (!m || m.subject !== Topics.auditPolicy.subject) continue;
      const ev = fromBinary(AuditEventSchema, m.data);
      if (ev.event.case === 'policyChange' && ev.event.value.policyId === 'versioned' && ev.event.value.version === 2) {
        updates.push({ before: ev.event.value.beforeJson, after: ev.event.value.afterJson });
      }
    }
    assert.equal(updates.length, 1);
    assert.equal(JSON.parse(updates[0]!.before).controls.vulnerabilities.maxSeverity, 'high');
    assert.equal(JSON.parse(updates[0]!.after).controls.vulnerabilities.maxSeverity, 'medium');
  });

  it('exceptions keep every version: list, get one, diff; If-Match guards a change; a delete is a version too', async () => {
    const base = { scope: { repository: 'team-v/*', items: ['CVE-7'] }, reason: 'waiting for upstream', expiresAt: '2099-01-01T00:00:00Z' };
    const created = await h.call('POST', '/api/v1/exceptions', { id: 'exc-hist', ...base });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('etag'), '"1"');
    const extended = await h.call(
      'PUT',
      '/api/v1/exceptions/exc-hist',
      { ...base, expiresAt: '2099-06-01T00:00:00Z' },
      { 'if-match': '"1"' },
    );
    assert.equal(extended.status, 200, extended.text);
    assert.equal(extended.headers.get('etag'), '"2"');
    const stale = await h.call('PUT', '/api/v1/exceptions/exc-hist', { ...base, reason: 'stale edit' }, { 'if-match': '"1"' });
    assert.equal(stale.status, 409, 'a change from an old version is refused');
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-hist')).json.reason, 'waiting for upstream', 'and changed nothing');
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-hist')).headers.get('etag'), '"2"');

    const versions = await h.call('GET', '/api/v1/exceptions/exc-hist/versions');
    assert.equal(versions.status, 200);
    assert.deepEqual(
      versions.json.items.map((r: { version: number; createdBy: string }) => [r.version, r.createdBy]),
      [
        [1, 'alice'],
        [2, 'alice'],
      ],
    );
    const v1 = await h.call('GET', '/api/v1/exceptions/exc-hist/versions/1');
    assert.equal(v1.json.document.expiresAt, '2099-01-01T00:00:00.000Z');
    const diff = await h.call('GET', '/api/v1/exceptions/exc-hist/diff?from=1&to=2');
    assert.deepEqual(diff.json.changes, [
      { op: 'replace', path: '/expiresAt', from: '2099-01-01T00:00:00.000Z', to: '2099-06-01T00:00:00.000Z' },
    ]);

    const gone = await h.call('DELETE', '/api/v1/exceptions/exc-hist', undefined, { 'if-match': '"2"' });
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.json.version, 3);
    const after = await h.call('GET', '/api/v1/exceptions/exc-hist/versions');
    assert.deepEqual(
      after.json.items.map((r: { version: number; deleted: boolean }) => [r.version, r.deleted]),
      [
        [1, false],
        [2, false],
        [3, true],
      ],
    );
    // Written again, the id continues its versions.
    const again = await h.call('POST', '/api/v1/exceptions', { id: 'exc-hist', ...base });
    assert.equal(again.headers.get('etag'), '"4"');
    assert.equal((await h.call('GET', '/api/v1/exceptions/nope/versions')).status, 404);
  });

  it('runtime policies and exceptions have the same CRUD', async () => {
    const rt = {
      name: 'prod',
      enabled: true,
      enforcement: 'warn',
      scope: { namespaces: ['prod-*'] },
      imagePolicies: [],
      blockUnregistered: true,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    };
    assert.equal((await h.call('POST', '/api/v1/runtime-policies', { id: 'prod', document: rt })).status, 201);
    const bad = await h.call('PUT', '/api/v1/runtime-policies/prod', { document: { ...rt, enforcement: 'maybe' }, expectedVersion: 1 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /runtimePolicy\.enforcement/);
    const exc = await h.call('POST', '/api/v1/exceptions', {
      id: 'e1',
      scope: { items: ['CVE-1'] },
      reason: 'r',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    assert.equal(exc.status, 201, exc.text);
    assert.equal(exc.json.createdBy, 'alice');
    assert.equal(
      (
        await h.call('POST', '/api/v1/exceptions', {
          id: 'e1',
          scope: { items: ['CVE-1'] },
          reason: 'r',
          expiresAt: '2099-01-01T00:00:00Z',
        })
      ).status,
      409,
    );
    const badExc = await h.call('PUT', '/api/v1/exceptions/e2', { scope: {}, reason: 'r', expiresAt: '2099-01-01T00:00:00Z' });
    assert.equal(badExc.status, 400);
    assert.match(badExc.json.error, /exception\.scope/);
    assert.equal((await h.call('GET', '/api/v1/exceptions/e1')).json.reason, 'r');

    // Mirrored for admission: runtime policies and exceptions in force, as JSON.
    await h.settled();
    const runtimeKv = await h.admin.js.views.kv(Buckets.runtimePolicies.name, { bindOnly: true });
    const exceptionKv = await h.admin.js.views.kv(Buckets.exceptions.name, { bindOnly: true });
    const rtEntry = await runtimeKv.get('prod');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(rtEntry!.value)), { id: 'prod', version: 1, policy: rt });
    const excEntry = await exceptionKv.get('e1');
    assert.equal(JSON.parse(new TextDecoder().decode(excEntry!.value)).expiresAt, '2099-01-01T00:00:00.000Z');

    assert.equal((await h.call('DELETE', '/api/v1/exceptions/e1')).status, 200);
    assert.equal((await h.call('GET', '/api/v1/exceptions/e1')).status, 404);
    assert.equal((await h.call('DELETE', '/api/v1/runtime-policies/prod')).status, 200);
    await h.settled();
    assert.equal((await exceptionKv.get('e1'))?.operation, 'DEL');
    assert.equal((await runtimeKv.get('prod'))?.operation, 'DEL');
    // Back, for the YAML test.
    assert.equal((await h.call('PUT', '/api/v1/runtime-policies/prod', { document: rt, expectedVersion: 2 })).status, 201);
  });

  it('YAML export and import round-trip', async () => {
    await h.call('POST', '/api/v1/policies', {
      id: 'yaml-1',
      document: doc({
        controls: {
          vulnerabilities: {
            maxSeverity: 'high',
            allowList: [{ id: 'CVE-9', reason: 'ok', expiresAt: new Date('2099-01-01T00:00:00Z') as unknown as Date }],
          },
        },
      }),
    });
    await h.call('POST', '/api/v1/exceptions', {
      id: 'yaml-exc',
      scope: { repository: 'team-a/*' },
      reason: 'r',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    const exported = await h.call('GET', '/api/v1/export');
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /yaml/);
    const docs = parseAllDocuments(exported.text).map((d) => d.toJS());
    assert.ok(docs.some((d) => d.kind === 'ImageAssurancePolicy' && d.id === 'yaml-1'));
    assert.ok(docs.some((d) => d.kind === 'RuntimePolicy' && d.id === 'prod'));
    assert.ok(docs.some((d) => d.kind === 'PolicyException' && d.id === 'yaml-exc'));

    const again = await h.call('POST', '/api/v1/import', exported.text, { 'content-type': 'application/yaml' });
    assert.equal(again.status, 200, again.text);
    assert.ok(
      again.json.results.every((r: { result: string }) => r.result === 'unchanged'),
      again.text,
    );

    assert.equal((await h.call('DELETE', '/api/v1/policies/yaml-1')).status, 200);
    const edited = exported.text.replace('maxSeverity: high', 'maxSeverity: low');
    const imported = await h.call('POST', '/api/v1/import', edited, { 'content-type': 'application/yaml' });
    assert.equal(imported.status, 200, imported.text);
    const y1 = imported.json.results.find((r: { id: string }) => r.id === 'yaml-1');
    assert.deepEqual([y1.result, y1.version], ['created', 3]);
    const back = await h.call('GET', '/api/v1/export');
    assert.equal(back.text, edited, 'export of the import is the imported text');

    const invalid = await h.call(
      'POST',
      '/api/v1/import',
      'apiVersion: assay.dev/v1\nkind: ImageAssurancePolicy\nid: x\nspec: {name: x, enabled: true, action: maybe, controls: {}}\n',
      { 'content-type': 'application/yaml' },
    );
    assert.equal(invalid.status, 400);
    assert.match(invalid.json.error, /policy\.action/);
  });

  it('an import with one invalid document writes nothing and names the document', async () => {
    const y = (kind: string, id: string, spec: unknown) =>
      `apiVersion: assay.dev/v1\nkind: ${kind}\nid: ${id}\nspec: ${JSON.stringify(spec)}\n`;
    const text = [
      y('ImageAssurancePolicy', 'imp-good', doc()),
      y('ImageAssurancePolicy', 'imp-bad', { ...doc(), controls: { vulnerabilities: { maxSeverity: 'extreme' } } }),
      y('PolicyException', 'imp-exc', { scope: { repository: 'team-a/*' }, reason: 'r', expiresAt: '2099-01-01T00:00:00Z' }),
      y('PolicyException', 'imp-exc-bad', { scope: {}, reason: 'r', expiresAt: '2099-01-01T00:00:00Z' }),
    ].join('---\n');
    const res = await h.call('POST', '/api/v1/import', text, { 'content-type': 'application/yaml' });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error, /documents\[1\] \(policy "imp-bad"\): policy\.controls\.vulnerabilities\.maxSeverity/);
    assert.match(res.json.error, /documents\[3\] \(exception "imp-exc-bad"\): exception\.scope/);
    assert.doesNotMatch(res.json.error, /imp-good|"imp-exc"/, 'only the invalid documents are named');
    assert.equal((await h.call('GET', '/api/v1/policies/imp-good')).status, 404, 'the valid document before it was not written');
    assert.equal((await h.call('GET', '/api/v1/exceptions/imp-exc')).status, 404);

    const twice = await h.call(
      'POST',
      '/api/v1/import',
      [y('ImageAssurancePolicy', 'imp-good', doc()), y('ImageAssurancePolicy', 'imp-good', doc())].join('---\n'),
      { 'content-type': 'application/yaml' },
    );
    assert.equal(twice.status, 400);
    assert.match(twice.json.error, /documents\[1\] \(policy "imp-good"\): the same document as documents\[0\]/);
    assert.equal((await h.call('GET', '/api/v1/policies/imp-good')).status, 404);
  });

  it('an import whose write loses a race after validation answers 409 listing what was and was not written', async () => {
    const y = (kind: string, id: string, spec: unknown) =>
      `apiVersion: assay.dev/v1\nkind: ${kind}\nid: ${id}\nspec: ${JSON.stringify(spec)}\n`;
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'race-b', document: doc() })).status, 201);
    const changes = h.api.changes;
    const putPolicy = changes.putPolicy.bind(changes);
    // Someone else changes race-b between the import's validation and its write.
    changes.putPolicy = async (id, document, expected, by) => {
      if (id === 'race-b') await h.api.engine.store.policies.put('race-b', doc({ name: 'theirs' }), { expectedVersion: 1, by: 'bob' });
      return putPolicy(id, document, expected, by);
    };
    try {
      const text = [
        y('ImageAssurancePolicy', 'race-a', doc()),
        y('ImageAssurancePolicy', 'race-b', doc({ name: 'ours' })),
        y('PolicyException', 'race-c', { scope: { repository: 'team-a/*' }, reason: 'r', expiresAt: '2099-01-01T00:00:00Z' }),
      ].join('---\n');
      const res = await h.call('POST', '/api/v1/import', text, { 'content-type': 'application/yaml' });
      assert.equal(res.status, 409, res.text);
      assert.match(res.json.error, /documents\[1\] \(policy "race-b"\)/);
      assert.deepEqual(res.json.written, [{ kind: 'ImageAssurancePolicy', id: 'race-a', result: 'created', version: 1 }]);
      assert.deepEqual(res.json.notWritten, [
        { kind: 'ImageAssurancePolicy', id: 'race-b', document: 'documents[1] (policy "race-b")' },
        { kind: 'PolicyException', id: 'race-c', document: 'documents[2] (exception "race-c")' },
      ]);
    } finally {
      changes.putPolicy = putPolicy;
    }
    assert.equal((await h.call('GET', '/api/v1/policies/race-b')).json.document.name, 'theirs', 'the concurrent change is kept');
    assert.equal((await h.call('GET', '/api/v1/exceptions/race-c')).status, 404);
  });

  it("the README's runtime policy imports as written, platforms in the short notation", async () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!.replace(/^ {3}/gm, ''))
      .find((b) => b.includes('kind: RuntimePolicy'));
    assert.ok(block, 'the README shows a RuntimePolicy');
    const res = await h.call('POST', '/api/v1/import', block, { 'content-type': 'application/yaml' });
    assert.equal(res.status, 200, res.text);
    const id = parseAllDocuments(block)[0]!.toJS().id as string;
    const stored = await h.call('GET', `/api/v1/runtime-policies/${id}`);
    assert.deepEqual(stored.json.document.platforms, [{ os: 'linux', architecture: 'amd64' }]);
  });

  it('dry-run evaluation of an uploaded or stored report against a draft policy', async () => {
    // Outside team-a/*, which the exception of the YAML test covers whole.
    const r = report({ vulnerabilities: [vuln('CVE-2024-20', 'critical')] }, { repository: 'team-z/dry', digest: sha('dry') });
    const uploaded = await h.call('POST', '/api/v1/evaluate', { report: r, policy: doc() });
    assert.equal(uploaded.status, 200, uploaded.text);
    assert.equal(uploaded.json.compliant, false);
    assert.match(uploaded.json.reasons[0].message, /CVE-2024-20/);
    assert.deepEqual(uploaded.json.reasons[0].evidence.items[0].fixedVersion, '3.0.12');
    const lax = await h.call('POST', '/api/v1/evaluate', {
      report: r,
      policy: doc({ controls: { vulnerabilities: { maxSeverity: 'critical' } } }),
    });
    assert.equal(lax.json.compliant, true);
    await h.api.engine.store.reports.put(r);
    const stored = await h.call('POST', '/api/v1/evaluate', { digest: r.image.digest, policy: doc() });
    assert.equal(stored.json.compliant, false);
    assert.equal((await h.call('POST', '/api/v1/evaluate', { digest: sha('nothing'), policy: doc() })).status, 404);
    const badDraft = await h.call('POST', '/api/v1/evaluate', { report: r, policy: { ...doc(), action: 'x' } });
    assert.equal(badDraft.status, 400);
    assert.match(badDraft.json.error, /policy\.action/);
    // Nothing was written by a dry run.
    assert.equal(await h.verdict(r.image.digest), undefined);
  });

  it('the OpenAPI document lists every route', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    assert.equal(res.status, 200);
    const api = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(api.openapi, '3.1.0');
    const expected: Array<[string, string]> = [];
    for (const base of ['/api/v1/policies', '/api/v1/runtime-policies']) {
      expected.push(['get', base], ['post', base], ['get', `${base}/{id}`], ['put', `${base}/{id}`], ['delete', `${base}/{id}`]);
      expected.push(['get', `${base}/{id}/versions`], ['get', `${base}/{id}/versions/{v}`], ['get', `${base}/{id}/diff`]);
    }
    expected.push(
      ['get', '/api/v1/exceptions'],
      ['post', '/api/v1/exceptions'],
      ['get', '/api/v1/exceptions/{id}'],
      ['put', '/api/v1/exceptions/{id}'],
      ['delete', '/api/v1/exceptions/{id}'],
    );
    expected.push(
      ['get', '/api/v1/exceptions/{id}/versions'],
      ['get', '/api/v1/exceptions/{id}/versions/{v}'],
      ['get', '/api/v1/exceptions/{id}/diff'],
    );
    expected.push(['get', '/api/v1/verdicts'], ['get', '/api/v1/verdicts/{digest}']);
    expected.push(['post', '/api/v1/evaluate'], ['get', '/api/v1/export'], ['post', '/api/v1/import'], ['get', '/openapi.json']);
    expected.push(['get', '/healthz'], ['get', '/readyz'], ['get', '/metrics']);
    for (const [m, p] of expected) assert.ok(api.paths[p]?.[m], `${m.toUpperCase()} ${p}`);
    const listed = Object.values(api.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    assert.equal(listed, expected.length, 'no route missing from the expectation either');
    const put = api.paths['/api/v1/policies/{id}']!.put as { parameters: Array<{ name: string; in: string }>; requestBody: unknown };
    assert.ok(put.parameters.some((p) => p.name === 'if-match' && p.in === 'header'));
    assert.equal(
      JSON.stringify((put.requestBody as any).content['application/json'].schema.properties.document),
      JSON.stringify({ $ref: '#/components/schemas/ImageAssurancePolicy' }),
    );
    const schemas = (api as unknown as { components: { schemas: Record<string, any> } }).components.schemas;
    assert.deepEqual(schemas.ImageAssurancePolicy.properties.action.enum, ['block', 'audit'], 'document schemas come from the store');
    assert.ok(schemas.PolicyException && schemas.RuntimePolicy);
  });

  it('every route has a JSON schema: a body where it takes one, and a 2xx response', async () => {
    const api = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
    const isSchema = (s: any) => s !== null && typeof s === 'object' && (typeof s.$ref === 'string' || s.type !== undefined);
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(api.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (['post', 'put', 'patch'].includes(method)) {
          const bodies = Object.values((op.requestBody?.content ?? {}) as Record<string, { schema?: any }>).map((c) => c.schema);
          // A body schema, and a real one: an object body declares its fields (or is a named document).
          if (bodies.length === 0 || !bodies.every((b) => isSchema(b) && (b.type !== 'object' || b.properties)))
            missing.push(`${name}: body`);
        }
        const ok = Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>).filter(
          ([code]) => /^2\d\d$/.test(code),
        );
        if (ok.length === 0 || !ok.every(([, r]) => r.content && Object.values(r.content).every((c) => isSchema(c.schema))))
          missing.push(`${name}: 2xx response`);
      }
    }
    assert.deepEqual(missing, []);
    const exc = api.paths['/api/v1/exceptions']!;
    assert.equal(exc.post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/PolicyException');
    assert.ok(exc.get.responses['200'].content['application/json'].schema.properties.items.items.properties.expiresAt);
    assert.ok(api.paths['/api/v1/export']!.get.responses['200'].content['application/yaml']);
  });

  it('exception responses keep every stored field', async () => {
    const body = {
      id: 'exc-shape',
      scope: {
        policyId: 'p',
        control: 'vulnerabilities',
        registry: 'r.example',
        repository: 'team-a/*',
        items: ['CVE-1'],
        namespaces: ['ops-*'],
      },
      reason: 'r',
      expiresAt: '2099-01-01T00:00:00.000Z',
      breakGlass: true,
    };
    const created = await h.call('POST', '/api/v1/exceptions', body);
    assert.equal(created.status, 201, created.text);
    const stored = JSON.parse(JSON.stringify(await h.api.engine.store.exceptions.get('exc-shape')));
    assert.deepEqual(created.json, stored);
    assert.deepEqual((await h.call('GET', '/api/v1/exceptions/exc-shape')).json, stored);
    const listed = await h.call('GET', '/api/v1/exceptions?limit=1000');
    assert.deepEqual(
      listed.json.items.find((e: { id: string }) => e.id === 'exc-shape'),
      stored,
    );
    const replaced = await h.call('PUT', '/api/v1/exceptions/exc-shape', { ...body, id: undefined, reason: 'r2' });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(replaced.json, { ...stored, reason: 'r2' });
    const unknown = await h.call('POST', '/api/v1/exceptions', { ...body, id: 'exc-unknown', colour: 'red' });
    assert.equal(unknown.status, 400, 'an unknown field is refused by the store, not dropped');
    assert.match(unknown.json.error, /colour/);
    const deleted = await h.call('DELETE', '/api/v1/exceptions/exc-shape');
    assert.deepEqual(deleted.json, { deleted: 'exc-shape', version: 3 });
  });
});

describe('policy configuration', () => {
  it('a bad value is named in one line', () => {
    for (const [env, re] of [
      [{ POLICY_REEVALUATE_CONCURRENCY: 'lots' }, /POLICY_REEVALUATE_CONCURRENCY/],
      [{ MONGO_URL: 'http://x' }, /MONGO_URL/],
    ] as const) {
      try {
        createService(policyService, { env });
        assert.fail('expected a ConfigError');
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, re);
        assert.ok(!err.message.includes('\n'), 'one line');
      }
    }
    const svc = createService(policyService, { env: { POLICY_API_TOKEN: 'sekrit' } });
    assert.equal(svc.config.POLICY_API_TOKEN, 'sekrit');
    assert.equal(svc.config.POLICY_API_USER, 'policy-api');
  });
});

describe('policy REST API: per-caller tokens', () => {
  const BOB = 'bob-token-abcdefghijklmnop';
  const CAROL = 'carol-token-qrstuvwxyz0123';
  let h: Harness;
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await makeTempDir('policy-tokens');
    const file = join(dir.path, 'tokens.csv');
    writeFileSync(file, `# token,user\n${BOB},bob,1001\n\n"${CAROL}","carol","1002","ops,admins"\n`, { mode: 0o600 });
    h = await startHarness({ POLICY_API_TOKENS_FILE: file });
  });
  after(async () => {
    await h?.close();
    await dir?.remove();
  });

  const as = async (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(h.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
  };

  it('each caller is recorded under its own name: versions, policy-changed events and audit events', async () => {
    assert.equal((await as(BOB, 'POST', '/api/v1/policies', { id: 'who', document: doc() })).status, 201);
    assert.equal((await as(CAROL, 'PUT', '/api/v1/policies/who', { document: doc({ name: 'who2' }) }, { 'if-match': '"1"' })).status, 200);
    // The shared token still works, under POLICY_API_USER.
    assert.equal((await h.call('PUT', '/api/v1/policies/who', { document: doc({ name: 'who3' }) }, { 'if-match': '"2"' })).status, 200);
    const versions = await as(BOB, 'GET', '/api/v1/policies/who/versions');
    assert.deepEqual(
      versions.json.items.map((r: { createdBy: string }) => r.createdBy),
      ['bob', 'carol', 'alice'],
    );
    const jsm = await h.admin.jetstreamManager();
    const info = await jsm.streams.info(Streams.audit.name);
    const users: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
      if (!m || m.subject !== Topics.auditPolicy.subject) continue;
      const ev = fromBinary(AuditEventSchema, m.data);
      if (ev.event.case === 'policyChange' && ev.event.value.policyId === 'who') users.push(ev.event.value.user?.username ?? '');
    }
    assert.deepEqual(users, ['bob', 'carol', 'alice']);
    // An exception is recorded the same way.
    const exc = await as(CAROL, 'POST', '/api/v1/exceptions', {
      id: 'who-exc',
      scope: { registry: 'registry.example.com' },
      reason: 'r',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    assert.equal(exc.status, 201, JSON.stringify(exc.json));
    assert.equal(exc.json.createdBy, 'carol');
  });

  it('an unknown token is refused', async () => {
    assert.equal((await as('not-a-listed-token-at-all', 'GET', '/api/v1/policies')).status, 401);
    assert.equal((await as(BOB.slice(0, -1), 'GET', '/api/v1/policies')).status, 401);
  });
});

describe('policy API token file', () => {
  it('a malformed line is named, never its token', () => {
    const secretish = 'abcdefghijklmnopqrstuvwxyz';
    assert.throws(
      () => parseTokenFile(`${secretish},alice\nshort,bob\n`, 'tokens.csv'),
      (err: Error) => /tokens\.csv line 2: the token must be at least 16 characters/.test(err.message) && !err.message.includes('short'),
    );
    assert.throws(
      () => parseTokenFile(`${secretish}\n`, 'f'),
      (err: Error) => /f line 1: a user name must follow the token/.test(err.message) && !err.message.includes(secretish),
    );
    assert.throws(() => parseTokenFile(`${secretish},a\n${secretish},b\n`, 'f'), /f line 2: this token is already given to another line/);
    assert.deepEqual(parseTokenFile(`# comment\n\n${secretish},alice,1,"g1,g2"\n`, 'f'), [{ token: secretish, user: 'alice' }]);
  });

  it('an unreadable token file stops the service at start, naming the file', async () => {
    const svc = createService(policyService, {
      env: { HTTP_PORT: '0', LOG_LEVEL: 'fatal', POLICY_API_TOKENS_FILE: '/nonexistent/tokens.csv', NATS_URL: 'nats://127.0.0.1:1' },
    });
    await assert.rejects(svc.start(), /POLICY_API_TOKENS_FILE \/nonexistent\/tokens\.csv cannot be read \(ENOENT\)/);
    await svc.stop?.('test').catch(() => {});
  });
});
