// The console's runtime policy pages against a real policy service: create from the form (image
// policies chosen by checkbox), switch "Block non-compliant images" off, an unchanged form that
// changes nothing, inline errors, a stale version, versions and diff, delete, and a form without
// its CSRF token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RuntimePolicy } from '@assay/domain';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { ConsoleClient } from './client.ts';
import { formFields } from './form-fields.ts';

describe('console: runtime policies', () => {
  let h: Harness;
  let c: ConsoleClient;
  const form = async (id: string) => {
    const page = await c.get(`/console/runtime-policies/${id}`);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    return { page, fields: formFields(page.text, `/console/runtime-policies/${id}`) };
  };
  const current = async (id: string) =>
    (await h.call('GET', `/api/v1/runtime-policies/${id}`)).json as { version: number; document: RuntimePolicy };

  before(async () => {
    h = await startHarness();
    for (const [id, name] of [
      ['baseline', 'Baseline'],
      ['strict', 'Strict'],
    ]) {
      const r = await h.call('POST', '/api/v1/policies', {
        id,
        document: { name, enabled: true, action: 'block', controls: { malware: { block: true } } },
      });
      assert.equal(r.status, 201, r.text);
    }
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
  });

  it('creates a runtime policy from the form, the image policies chosen by checkbox', async () => {
    const blank = await c.get('/console/runtime-policies/new');
    assert.equal(blank.status, 200);
    assert.match(
      blank.text,
      /<input id="f-imagePolicies-0" type="checkbox" name="imagePolicies" value="baseline" \/>\s*<label for="f-imagePolicies-0"\s*>Baseline/,
    );
    const fields = formFields(blank.text, '/console/runtime-policies/new');
    assert.deepEqual(fields.blockNonCompliant, ['on'], 'blocking non-compliant images is the default');
    const r = await c.post('/console/runtime-policies/new', {
      ...fields,
      id: 'prod',
      name: 'Production',
      'scope.namespaces': 'prod-*\r\npayments',
      imagePolicies: ['strict', 'baseline'],
      platforms: 'linux/amd64\r\nlinux/arm64/v8',
      'pending.action': 'wait',
      'pending.waitMs': '2000',
      'exemptions.namespaces': 'kube-system',
    });
    assert.equal(r.status, 303, r.text.slice(0, 800));
    assert.equal(r.location, '/console/runtime-policies/prod');
    assert.match((await c.get(r.location!)).text, /Saved version 1\./);
    const api = await current('prod');
    assert.deepEqual(api.document, {
      name: 'Production',
      enabled: true,
      enforcement: 'enforce',
      scope: { namespaces: ['prod-*', 'payments'] },
      imagePolicies: ['strict', 'baseline'],
      blockUnregistered: false,
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      pending: { action: 'wait', waitMs: 2000 },
      exemptions: { namespaces: ['kube-system'] },
    });
    const list = await c.get('/console/runtime-policies');
    assert.match(list.text, /<a href="\/console\/runtime-policies\/prod">Production<\/a>/);
    assert.match(list.text, /namespaces prod-\*, payments/);
    assert.match(list.text, /<a href="\/console\/policies\/strict">strict<\/a>, <a href="\/console\/policies\/baseline">baseline<\/a>/);
  });

  it('an unchanged form saves nothing', async () => {
    const { fields } = await form('prod');
    const r = await c.post('/console/runtime-policies/prod', fields);
    assert.equal(r.status, 303);
    assert.match((await c.get(r.location!)).text, /No changes: version 1 kept/);
    assert.equal((await current('prod')).version, 1);
  });

  it('switching off "Block non-compliant images" saves blockNonCompliant false', async () => {
    const { page, fields } = await form('prod');
    assert.match(page.text, /<label for="f-blockNonCompliant">Block non-compliant images<\/label>/);
    assert.deepEqual(fields.blockNonCompliant, ['on']);
    delete fields.blockNonCompliant;
    fields.enforcement = ['warn'];
    const r = await c.post('/console/runtime-policies/prod', fields);
    assert.equal(r.status, 303, r.text.slice(0, 800));
    const api = await current('prod');
    assert.equal(api.version, 2);
    assert.equal(api.document.blockNonCompliant, false);
    assert.equal(api.document.enforcement, 'warn');
    assert.deepEqual(api.document.imagePolicies, ['strict', 'baseline'], 'the order of the checked policies is kept');
    // Switched on again: blocking, as when the field is absent (its default).
    const again = await form('prod');
    again.fields.blockNonCompliant = ['on'];
    assert.equal((await c.post('/console/runtime-policies/prod', again.fields)).status, 303);
    const on = await current('prod');
    assert.equal(on.version, 3);
    assert.notEqual(on.document.blockNonCompliant, false);
  });

  it('shows errors next to their fields with status 400 and saves nothing', async () => {
    const { fields } = await form('prod');
    fields['scope.namespaces'] = [''];
    fields['grace.days'] = ['0'];
    fields.platforms = ['linux'];
    const r = await c.post('/console/runtime-policies/prod', fields);
    assert.equal(r.status, 400);
    assert.match(r.text, /<small id="f-platforms-error" class="field-error">line 1: write os\/architecture/);
    const schema = await c.post('/console/runtime-policies/prod', { ...fields, platforms: 'linux/amd64' });
    assert.equal(schema.status, 400);
    assert.match(schema.text, /<small id="f-scope-namespaces-error" class="field-error">/);
    assert.match(schema.text, /<small id="f-grace-days-error" class="field-error">/);
    assert.equal((await current('prod')).version, 3);
  });

  it('refuses a stale version with who changed it meanwhile', async () => {
    const { fields } = await form('prod');
    const r = await c.post('/console/runtime-policies/prod', { ...fields, expectedVersion: '2', name: 'Late' });
    assert.equal(r.status, 409);
    assert.match(r.text, /changed meanwhile by alice \(version 3\)/);
  });

  it('lists versions and shows a diff', async () => {
    const list = await c.get('/console/runtime-policies/prod/versions');
    assert.equal(list.status, 200);
    assert.match(list.text, /3 versions, newest first/);
    const d = await c.get('/console/runtime-policies/prod/versions?from=1&to=2');
    assert.match(d.text, /<code>\/blockNonCompliant<\/code>\s*<\/th>\s*<td>added<\/td>/);
    assert.match(d.text, /<span class="add">\+ blockNonCompliant: false<\/span>/);
    assert.match(d.text, /<span class="del">- enforcement: enforce<\/span>/);
  });

  it('refuses a POST without the CSRF token, then deletes with it', async () => {
    const forged = await c.post('/console/runtime-policies/prod/delete', { _csrf: '', expectedVersion: '3' });
    assert.equal(forged.status, 403);
    assert.equal((await current('prod')).version, 3);
    const { page } = await form('prod');
    const r = await c.post('/console/runtime-policies/prod/delete', formFields(page.text, '/console/runtime-policies/prod/delete'));
    assert.equal(r.status, 303);
    assert.equal((await h.call('GET', '/api/v1/runtime-policies/prod')).status, 404);
  });
});
