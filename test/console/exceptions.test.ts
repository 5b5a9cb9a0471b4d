// The console's Exceptions page on a real policy service (nats-server, SQLite): the create form,
// prefilled from an image's page, makes an exception the way the REST API does (the image it
// excuses turns compliant; createdBy is the signed-in user); a bad form comes back with each error
// beside its field; revoking deletes it (the image is non-compliant again); expired exceptions are
// listed apart; a form without the CSRF token changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { report, sha, vuln } from '../policy/fixtures.ts';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { ConsoleClient } from './client.ts';

/** The fields a create form sends (the page's defaults, then `over`). */
function form(over: Record<string, string> = {}): Record<string, string> {
  return {
    id: 'exc-form',
    policyId: '',
    control: '',
    registry: '',
    repository: '',
    digest: '',
    items: '',
    namespaces: '',
    reason: 'vendor fix ships next sprint',
    expiresIn: '7d',
    expiresAt: '',
    ...over,
  };
}

/** The markup of the section under the heading with id `heading`. */
function section(page: string, heading: string): string {
  const start = page.indexOf(`id="${heading}"`);
  assert.ok(start >= 0, `a section ${heading}`);
  const end = page.indexOf('</section>', start);
  return page.slice(start, end);
}

describe('console: Exceptions', () => {
  let h: Harness;
  let c: ConsoleClient;
  const failing = report(
    { vulnerabilities: [vuln('CVE-2026-7777', 'critical')] },
    { repository: 'team-a/exc-console', digest: sha('exc-console') },
  );
  const digest = failing.image.digest;

  before(async () => {
    h = await startHarness();
    const p = await h.call('POST', '/api/v1/policies', {
      id: 'baseline',
      document: { name: 'Baseline', enabled: true, action: 'block', controls: { vulnerabilities: { maxSeverity: 'high' } } },
    });
    assert.equal(p.status, 201, p.text);
    await h.storeAndAnnounce(failing);
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
  });

  it('prefills the form from an image page link, and offers the policies and controls', async () => {
    const r = await c.get(`/console/exceptions?digest=${encodeURIComponent(digest)}&control=vulnerabilities`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1>Exceptions<\/h1>/);
    assert.match(r.text, /aria-current="page">Exceptions</);
    assert.match(r.text, new RegExp(`<input id="f-digest" name="digest" type="text" value="${digest}"`));
    assert.match(r.text, /<option value="vulnerabilities" selected>vulnerabilities<\/option>/);
    assert.match(r.text, /<option value="baseline">Baseline \(baseline\)<\/option>/);
    assert.match(r.text, /<option value="" selected>Any policy<\/option>/);
    assert.match(r.text, /<option value="7d" selected>7 days<\/option>/);
    assert.match(r.text, /<label for="f-reason">Reason<\/label>/);
    assert.ok(r.text.indexOf('id="new-heading"') < r.text.indexOf('id="active-heading"'), 'a prefilled form comes first');
    assert.match(section(r.text, 'active-heading'), /No exception is in force/);
  });

  it('creates an exception as the signed-in user, and the image it excuses turns compliant', async () => {
    await c.get('/console/exceptions');
    const r = await c.post(
      '/console/exceptions',
      form({ id: 'exc-cve-7777', policyId: 'baseline', control: 'vulnerabilities', digest, items: 'CVE-2026-7777\n\n' }),
    );
    assert.equal(r.status, 303, r.text.slice(0, 500));
    assert.equal(r.location, '/console/exceptions');
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.COMPLIANT);

    const stored = await h.call('GET', '/api/v1/exceptions/exc-cve-7777');
    assert.equal(stored.status, 200);
    assert.equal(stored.json.createdBy, 'alice', 'the signed-in user');
    assert.deepEqual(stored.json.scope, { policyId: 'baseline', control: 'vulnerabilities', digest, items: ['CVE-2026-7777'] });
    const days = (Date.parse(stored.json.expiresAt) - Date.parse(stored.json.createdAt)) / 86_400_000;
    assert.ok(Math.abs(days - 7) < 0.01, `7 days, got ${days}`);
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-cve-7777/versions')).json.items.length, 1, 'a version, as the API writes');

    const page = await c.get('/console/exceptions');
    assert.match(page.text, /role="status">Exception exc-cve-7777 created/);
    const active = section(page.text, 'active-heading');
    assert.match(active, /exc-cve-7777/);
    assert.match(active, /<code>CVE-2026-7777<\/code>/);
    assert.match(active, /vendor fix ships next sprint/);
    assert.match(active, /alice/);
    assert.match(active, /class="">(6d 23h|7d) left<\/time>/);
    assert.match(active, new RegExp(`href="/console/images/${encodeURIComponent(digest)}"`));
    assert.match(active, /data-confirm="Revoke exception exc-cve-7777\?/);
  });

  it('shows what is wrong beside each field, keeps the form, and answers 400', async () => {
    await c.get('/console/exceptions');
    const noReason = await c.post('/console/exceptions', form({ id: 'exc-bad', digest, reason: '   ' }));
    assert.equal(noReason.status, 400);
    assert.match(noReason.text, /<small id="f-reason-error" class="field-error">must not be empty<\/small>/);
    assert.match(
      noReason.text,
      /<textarea id="f-reason" name="reason"[^>]*aria-invalid="true" aria-describedby="f-reason-hint f-reason-error"/,
    );
    assert.match(noReason.text, new RegExp(`name="digest" type="text" value="${digest}"`), 'the form is kept');
    assert.match(noReason.text, /value="exc-bad"/);

    const past = await c.post('/console/exceptions', form({ id: 'exc-past', digest, expiresIn: 'date', expiresAt: '2020-01-01T00:00' }));
    assert.equal(past.status, 400);
    assert.match(past.text, /<small id="f-expiresAt-error" class="field-error">must be in the future<\/small>/);
    assert.match(past.text, /<option value="date" selected>/);
    assert.match(past.text, /value="2020-01-01T00:00"/);

    const both = await c.post(
      '/console/exceptions',
      form({ id: 'exc-both', digest, reason: '', expiresIn: 'date', expiresAt: '2020-01-01T00:00' }),
    );
    assert.match(both.text, /id="f-reason-error"/);
    assert.match(both.text, /id="f-expiresAt-error"/, 'both at once');

    const noScope = await c.post('/console/exceptions', form({ id: 'exc-wide' }));
    assert.equal(noScope.status, 400);
    assert.match(noScope.text, /<p id="f-scope-error" class="field-error">must narrow the exception/);

    const lines = await c.post(
      '/console/exceptions',
      form({ id: 'exc-lines', digest: 'sha256:short', items: `CVE-1\n${'x'.repeat(301)}` }),
    );
    assert.equal(lines.status, 400);
    assert.match(lines.text, /id="f-digest-error" class="field-error">expected a digest like sha256:&lt;hex&gt;</);
    assert.match(lines.text, /id="f-items-error" class="field-error">line 2: longer than 300 characters</);

    const taken = await c.post('/console/exceptions', form({ id: 'exc-cve-7777', digest }));
    assert.equal(taken.status, 400);
    assert.match(taken.text, /id="f-id-error" class="field-error">exception exc-cve-7777 exists: choose another id</);

    const badId = await c.post('/console/exceptions', form({ id: '-nope', digest }));
    assert.equal(badId.status, 400);
    assert.match(badId.text, /id="f-id-error"/);

    for (const id of ['exc-bad', 'exc-past', 'exc-both', 'exc-wide', 'exc-lines', '-nope']) {
      assert.notEqual((await h.call('GET', `/api/v1/exceptions/${encodeURIComponent(id)}`)).status, 200, `${id} was not created`);
    }
  });

  it('lists a break-glass exception with its marker, and expired ones apart', async () => {
    await c.get('/console/exceptions');
    const bg = await c.post(
      '/console/exceptions',
      form({ id: 'exc-bg', repository: 'team-a/*', namespaces: 'incident-*\nshop', breakGlass: 'on', expiresIn: '1d' }),
    );
    assert.equal(bg.status, 303, bg.text.slice(0, 500));
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-bg')).json.breakGlass, true);
    const old = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-old',
      scope: { repository: 'team-b/*' },
      reason: 'long gone',
      createdAt: '2020-01-01T00:00:00Z',
      expiresAt: '2020-02-01T00:00:00Z',
    });
    assert.equal(old.status, 201, old.text);

    const page = await c.get('/console/exceptions');
    const active = section(page.text, 'active-heading');
    assert.match(active, /exc-bg<\/span>\s*<br \/><span class="badge badge-warned"[^>]*>break-glass</);
    assert.match(active, /<code>incident-\*<\/code>, <code>shop<\/code>/);
    assert.doesNotMatch(active, /exc-old/);
    const expired = section(page.text, 'expired-heading');
    assert.match(expired, /exc-old/);
    assert.match(expired, /class="expired">expired \d+d( \d+h)? ago<\/time>/);
    assert.doesNotMatch(expired, /exc-bg/);
  });

  it('revokes an exception: it is deleted as the API deletes it, and the image is judged without it', async () => {
    await c.get('/console/exceptions');
    const r = await c.post('/console/exceptions/exc-cve-7777/revoke');
    assert.equal(r.status, 303);
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-cve-7777')).status, 404);
    const versions = (await h.call('GET', '/api/v1/exceptions/exc-cve-7777/versions')).json.items;
    assert.equal(versions.at(-1).deleted, true, 'a tombstone version, as DELETE writes');
    assert.equal(versions.at(-1).createdBy, 'alice');
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    const page = await c.get('/console/exceptions');
    assert.match(page.text, /role="status">Exception exc-cve-7777 revoked/);
    assert.doesNotMatch(section(page.text, 'active-heading'), /exc-cve-7777/);

    const again = await c.post('/console/exceptions/exc-cve-7777/revoke');
    assert.equal(again.status, 303);
    assert.match(
      (await c.get('/console/exceptions')).text,
      /role="alert">Exception exc-cve-7777 was not revoked: exception exc-cve-7777 does not exist/,
    );
  });

  it('refuses a create or a revoke without the CSRF token, and changes nothing', async () => {
    await c.get('/console/exceptions');
    const create = await c.post('/console/exceptions', { ...form({ id: 'exc-forged', digest }), _csrf: '' });
    assert.equal(create.status, 403);
    assert.match(create.text, /CSRF/);
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-forged')).status, 404);
    const revoke = await c.post('/console/exceptions/exc-bg/revoke', { _csrf: 'not-the-token' });
    assert.equal(revoke.status, 403);
    assert.equal((await h.call('GET', '/api/v1/exceptions/exc-bg')).status, 200, 'still in force');
  });
});
