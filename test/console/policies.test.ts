// The console's image assurance policy pages against a real policy service (nats-server, SQLite):
// the seed walkthrough (a person switches off blocking on sensitive data and an image whose only
// failure was a private key turns compliant), an unchanged form that changes nothing, inline
// errors, a stale version, versions and diff, a dry run that writes nothing, create and delete,
// a policy Kubernetes manages, and a form without its CSRF token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImageAssurancePolicy, ScanReport } from '@assay/domain';
import { Compliance } from '@assay/proto';
import { report, sha } from '../policy/fixtures.ts';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { ConsoleClient } from './client.ts';
import { formFields } from './form-fields.ts';

const BASELINE: ImageAssurancePolicy = {
  name: 'Baseline',
  description: 'Every image.',
  enabled: true,
  action: 'block',
  controls: {
    vulnerabilities: { maxSeverity: 'critical', deny: ['CVE-2021-44228'] },
    sensitiveData: { block: true },
    config: { forbidRootUser: false },
  },
};

const KEY_PATH = 'etc/ssl/private/server.key';
/** An image whose only failure under BASELINE is a private key. */
const leaky: ScanReport = report(
  { sensitiveData: [{ rule: 'private-key', path: KEY_PATH, severity: 'high', masked: '-----BEGIN PRIVATE KEY-----****' }] } as never,
  { digest: sha('leaky-image') },
);

describe('console: image assurance policies', () => {
  let h: Harness;
  let c: ConsoleClient;
  const form = async (id: string) => {
    const page = await c.get(`/console/policies/${id}`);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    return { page, fields: formFields(page.text, `/console/policies/${id}`) };
  };
  const versions = async (id: string) => (await h.call('GET', `/api/v1/policies/${id}/versions`)).json.items as Array<{ version: number }>;

  before(async () => {
    h = await startHarness();
    const created = await h.call('POST', '/api/v1/policies', { id: 'baseline', document: BASELINE });
    assert.equal(created.status, 201, created.text);
    await h.storeAndAnnounce(leaky);
    await h.waitVerdict(leaky.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
  });

  it('lists the policy: name, id, action, scope, version, who changed it, who manages it, its images', async () => {
    const r = await c.get('/console/policies');
    assert.equal(r.status, 200);
    assert.match(r.text, /<a href="\/console\/policies\/baseline">Baseline<\/a>/);
    assert.match(r.text, /<th scope="col">Managed by<\/th>/);
    assert.match(r.text, />block</);
    assert.match(r.text, /every image/);
    assert.match(r.text, /v1, alice/);
    assert.match(r.text, /0 compliant, 1 non-compliant/);
    assert.match(r.text, /<a class="button" href="\/console\/policies\/new">New policy<\/a>/);
  });

  it('shows every control with its switch, and an unchanged form saves nothing', async () => {
    const { page, fields } = await form('baseline');
    for (const control of [
      'vulnerabilities',
      'sensitiveData',
      'malware',
      'licences',
      'baseImages',
      'registries',
      'config',
      'packages',
      'customChecks',
      'signatures',
      'attestations',
    ]) {
      assert.match(page.text, new RegExp(`name="check\\.${control}" type="checkbox" role="switch"`), control);
    }
    assert.match(page.text, /<label for="f-controls-sensitiveData-block">Block images with sensitive data<\/label>/);
    assert.deepEqual(fields.expectedVersion, ['1']);
    assert.deepEqual(fields['controls.vulnerabilities.deny'], ['CVE-2021-44228']);
    assert.deepEqual(fields._kept, ['controls.config.forbidRootUser'], 'the explicit false is carried');
    const r = await c.post('/console/policies/baseline', fields);
    assert.equal(r.status, 303, r.text.slice(0, 500));
    assert.equal(r.location, '/console/policies/baseline');
    assert.match((await c.get(r.location!)).text, /No changes: version 1 kept/);
    assert.equal((await versions('baseline')).length, 1);
  });

  it('switching off "Block images with sensitive data" saves a new version and the leaky image turns compliant', async () => {
    const { fields } = await form('baseline');
    delete fields['controls.sensitiveData.block'];
    const r = await c.post('/console/policies/baseline', fields);
    assert.equal(r.status, 303, r.text.slice(0, 500));
    const after = await c.get(r.location!);
    assert.match(after.text, /role="status">Saved version 2\.</);
    assert.doesNotMatch(after.text, /name="controls\.sensitiveData\.block"[^>]*checked/);
    const api = await h.call('GET', '/api/v1/policies/baseline');
    assert.equal(api.json.version, 2);
    assert.equal(api.json.createdBy, 'alice');
    assert.deepEqual(api.json.document.controls.sensitiveData, { block: false });
    assert.deepEqual(api.json.document.controls.config, { forbidRootUser: false }, 'what the form did not change stays as it was');
    await h.waitVerdict(
      leaky.image.digest,
      (v) => v.compliance === Compliance.COMPLIANT && v.policies.some((p) => p.id === 'baseline' && p.version === 2),
    );
  });

  it('shows an invalid value next to its field with status 400, keeps what was typed, and saves nothing', async () => {
    const { fields } = await form('baseline');
    fields['controls.vulnerabilities.maxCvss'] = ['11'];
    fields.description = ['typed <b>here</b>'];
    const r = await c.post('/console/policies/baseline', fields);
    assert.equal(r.status, 400);
    assert.match(r.text, /name="controls\.vulnerabilities\.maxCvss" type="number" value="11"[^>]*aria-invalid="true"/);
    assert.match(r.text, /<small id="f-controls-vulnerabilities-maxCvss-error" class="field-error">[^<]*10[^<]*<\/small>/);
    assert.match(r.text, /typed &lt;b&gt;here&lt;\/b&gt;<\/textarea>/, 'the typed text kept, escaped');
    assert.equal((await versions('baseline')).length, 2);
  });

  it('refuses a form read from an older version: changed meanwhile by whom, which version', async () => {
    const { fields } = await form('baseline');
    fields.expectedVersion = ['1'];
    fields.name = ['Renamed'];
    const r = await c.post('/console/policies/baseline', fields);
    assert.equal(r.status, 409);
    assert.match(r.text, /role="alert">Not saved: this policy was changed meanwhile by alice \(version 2\)/);
    assert.match(r.text, /name="name" type="text" value="Renamed"/);
    assert.equal((await h.call('GET', '/api/v1/policies/baseline')).json.document.name, 'Baseline');
  });

  it('lists the versions and shows the diff between two, marked with + and -', async () => {
    const list = await c.get('/console/policies/baseline/versions');
    assert.equal(list.status, 200);
    assert.match(list.text, /<th scope="row">2<\/th>\s*<td>alice<\/td>/);
    assert.match(list.text, /href="\/console\/policies\/baseline\/versions\?from=1&amp;to=2"/);
    const d = await c.get('/console/policies/baseline/versions?from=1&to=2');
    assert.equal(d.status, 200);
    assert.match(d.text, /<code>\/controls\/sensitiveData\/block<\/code>/);
    assert.match(d.text, /<span class="del">-     block: true<\/span>/);
    assert.match(d.text, /<span class="add">\+     block: false<\/span>/);
    assert.match(d.text, /<span class="same">  name: Baseline<\/span>/);
    const missing = await c.get('/console/policies/baseline/versions?from=1&to=9');
    assert.match(missing.text, /baseline has no version 9/);
  });

  it('evaluates the form without saving: the draft’s verdict and reasons, no new version', async () => {
    const { fields } = await form('baseline');
    assert.match(
      (await c.get('/console/policies/baseline')).text,
      new RegExp(`<option value="${leaky.image.digest}">`),
      'recent images offered',
    );
    fields['controls.sensitiveData.block'] = ['on'];
    fields._digest = [leaky.image.digest];
    const r = await c.post('/console/policies/baseline/dry-run', fields);
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(r.text, /Nothing was saved/);
    assert.match(r.text, /<span class="badge badge-non_compliant">non-compliant<\/span>/);
    assert.match(r.text, new RegExp(`<strong>sensitiveData</strong>: [^<]*${KEY_PATH.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(r.text, /BEGIN PRIVATE KEY/, 'no secret, not even its masked form, in the reasons shown');
    assert.match(
      r.text,
      /name="controls\.sensitiveData\.block" type="checkbox" role="switch" value="on" checked/,
      'the draft stays in the form',
    );
    assert.equal((await versions('baseline')).length, 2);
    const stillOff = await h.call('GET', '/api/v1/policies/baseline');
    assert.equal(stillOff.json.document.controls.sensitiveData.block, false);
    const unknown = await c.post('/console/policies/baseline/dry-run', { ...fields, _digestText: sha('never-scanned') });
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /There is no stored scan report for sha256:/);
  });

  it('creates a policy from the new-policy form, and deletes it (asking first)', async () => {
    const blank = await c.get('/console/policies/new');
    assert.equal(blank.status, 200);
    const fields = formFields(blank.text, '/console/policies/new');
    const bad = await c.post('/console/policies/new', { ...fields, id: 'not valid!', name: 'Registries only' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<small id="f-id-error" class="field-error">expected an id/);
    const r = await c.post('/console/policies/new', {
      ...fields,
      id: 'registries-only',
      name: 'Registries only',
      'check.registries': 'on',
      'controls.registries.allowed': 'registry.example.com/*\r\nghcr.io/acme/*',
      'scope.labels': 'team=a',
    });
    assert.equal(r.status, 303, r.text.slice(0, 800));
    const api = await h.call('GET', '/api/v1/policies/registries-only');
    assert.deepEqual(api.json.document, {
      name: 'Registries only',
      enabled: true,
      action: 'block',
      scope: { labels: { team: 'a' } },
      controls: { registries: { allowed: ['registry.example.com/*', 'ghcr.io/acme/*'] } },
    });
    const again = await c.post('/console/policies/new', { ...fields, id: 'registries-only', name: 'Again' });
    assert.equal(again.status, 409);
    assert.match(again.text, /a policy with the id registries-only already exists \(version 1\)/);
    const page = await c.get('/console/policies/registries-only');
    assert.match(
      page.text,
      /<form method="post" action="\/console\/policies\/registries-only\/delete" data-confirm="Delete the policy Registries only\?">/,
    );
    const del = await c.post('/console/policies/registries-only/delete', formFields(page.text, '/console/policies/registries-only/delete'));
    assert.equal(del.status, 303);
    assert.equal(del.location, '/console/policies');
    assert.equal((await h.call('GET', '/api/v1/policies/registries-only')).status, 404);
    const gone = await c.get('/console/policies/registries-only');
    assert.equal(gone.status, 404);
    assert.match(gone.text, /It was deleted/);
  });

  it('says a policy Kubernetes manages is edited in Kubernetes, and refuses to save it here', async () => {
    await h.api.changes.putPolicy('from-kube', { ...BASELINE, name: 'From Kubernetes' }, 0, 'policy-controller', {
      managedBy: 'kubernetes',
      resourceVersion: '42',
      uid: 'u-1',
      generation: 1,
    });
    const list = await c.get('/console/policies');
    assert.match(
      list.text,
      /Kubernetes <code>imageassurancepolicies\/from-kube<\/code> <span class="muted">\(edit it in Kubernetes\)<\/span>/,
    );
    const { page, fields } = await form('from-kube');
    assert.match(page.text, /<p class="notice" role="note">\s*<strong>Managed by Kubernetes<\/strong>/);
    const r = await c.post('/console/policies/from-kube', { ...fields, name: 'Edited here' });
    assert.equal(r.status, 409);
    assert.match(r.text, /managed by Kubernetes \(imageassurancepolicies\/from-kube\); change it with kubectl/);
    assert.equal((await versions('from-kube')).length, 1);
  });

  it('refuses a form posted without its CSRF token (403), writing nothing', async () => {
    const { fields } = await form('baseline');
    const r = await c.post('/console/policies/baseline', { ...fields, _csrf: '', name: 'Forged' });
    assert.equal(r.status, 403);
    assert.equal((await versions('baseline')).length, 2);
    const del = await c.post('/console/policies/baseline/delete', { _csrf: 'x', expectedVersion: '2' });
    assert.equal(del.status, 403);
    assert.equal((await h.call('GET', '/api/v1/policies/baseline')).status, 200);
  });
});
