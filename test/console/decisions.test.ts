// The console's Decisions page on a real policy service and nats-server: admission decisions
// published as the webhook publishes them (AuditBatch on the audit stream) are listed with their
// outcome, images and reasons; filtered by outcome, namespace and text; 50 a page; and before any
// decision the page says where they come from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { eventually } from '../bus/helpers.ts';
import { admissionAudit, admissionEvent } from '../policy/admission-decisions.ts';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { ConsoleClient } from './client.ts';

/** The table rows of a page (its body rows, each from `<tr>` to `</tr>`). */
function rows(page: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '';
  return body.split('</tr>').filter((r) => r.includes('<tr>'));
}

describe('console: Decisions', () => {
  let h: Harness;
  let c: ConsoleClient;
  before(async () => {
    h = await startHarness();
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
  });

  it('says where decisions come from before there are any', async () => {
    const r = await c.get('/console/decisions');
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1>Decisions<\/h1>/);
    assert.match(r.text, /aria-current="page">Decisions</);
    assert.match(r.text, /No admission decisions yet\. Decisions appear here when the admission webhook answers/);
    assert.doesNotMatch(r.text, /<table>/);
  });

  it('shows a denial with its image and reason, the outcome badges, and filters', async () => {
    await admissionAudit(h.admin).publish([
      admissionEvent({ name: 'web-ok', namespace: 'shop', user: 'alice' }),
      admissionEvent({
        name: 'api-bad',
        namespace: 'shop',
        user: 'ci-bot',
        image: 'registry.example.com/team-a/api:2.0',
        compliance: Compliance.NON_COMPLIANT,
        reason: '1 critical vulnerability: CVE-2026-4242 in <openssl>',
      }),
      admissionEvent({ name: 'job-warned', namespace: 'jobs', compliance: Compliance.NON_COMPLIANT, enforcement: 'warn', dryRun: true }),
    ]);
    await eventually('the decisions reached the log', () => h.api.decisions?.size === 3);

    const r = await c.get('/console/decisions');
    assert.equal(r.status, 200);
    const all = rows(r.text);
    assert.equal(all.length, 3);
    assert.match(all[0]!, /Pod\/job-warned/, 'newest first');
    assert.match(all[0]!, /badge-warned">warned</);
    assert.match(all[0]!, /badge-dry-run">dry run</);
    const denial = all[1]!;
    assert.match(denial, /Pod\/api-bad/);
    assert.match(denial, /badge-denied">denied</);
    assert.match(denial, /registry\.example\.com\/team-a\/api:2\.0/);
    assert.match(denial, /baseline · vulnerabilities: 1 critical vulnerability: CVE-2026-4242 in &lt;openssl&gt;/, 'the reason, escaped');
    assert.match(denial, /ci-bot/);
    assert.match(denial, />shop</);
    assert.match(denial, /prod<br \/><small class="muted">enforce</);
    assert.match(all[2]!, /badge-allowed">allowed</);
    assert.match(all[2]!, /alice/);

    const denied = await c.get('/console/decisions?outcome=denied');
    assert.deepEqual(
      rows(denied.text).map((x) => /Pod\/([\w-]+)/.exec(x)?.[1]),
      ['api-bad'],
    );
    assert.match(denied.text, /<option value="denied" selected>Denied<\/option>/, 'the select keeps the choice');
    const jobs = await c.get('/console/decisions?namespace=jobs');
    assert.deepEqual(
      rows(jobs.text).map((x) => /Pod\/([\w-]+)/.exec(x)?.[1]),
      ['job-warned'],
    );
    const text = await c.get(`/console/decisions?q=${encodeURIComponent('cve-2026-4242')}`);
    assert.deepEqual(
      rows(text.text).map((x) => /Pod\/([\w-]+)/.exec(x)?.[1]),
      ['api-bad'],
    );
    const none = await c.get('/console/decisions?namespace=nowhere');
    assert.match(none.text, /No decision matches these filters\./);
    const bogus = await c.get('/console/decisions?outcome=%3Cx%3E');
    assert.equal(rows(bogus.text).length, 3, 'an unknown outcome is no filter');
  });

  it('pages 50 at a time, newest first', async () => {
    const events = [];
    for (let i = 0; i < 60; i++) events.push(admissionEvent({ name: `paged-${i}`, namespace: 'paging' }));
    await admissionAudit(h.admin).publish(events);
    await eventually(
      'the paged decisions reached the log',
      () => h.api.decisions?.list({ namespace: 'paging', limit: 100 }).items.length === 60,
    );

    const first = await c.get('/console/decisions?namespace=paging');
    const firstRows = rows(first.text);
    assert.equal(firstRows.length, 50);
    assert.match(firstRows[0]!, /Pod\/paged-59</);
    const next = /<a rel="next" href="([^"]+)">Older/.exec(first.text)?.[1];
    assert.ok(next, 'a link to older decisions');
    const second = await c.get(next!.replaceAll('&amp;', '&'));
    const secondRows = rows(second.text);
    assert.equal(secondRows.length, 10);
    assert.match(secondRows[0]!, /Pod\/paged-9</);
    assert.match(secondRows.at(-1)!, /Pod\/paged-0</);
    assert.match(second.text, /href="\/console\/decisions\?namespace=paging">← Newest</);
    assert.doesNotMatch(second.text, /rel="next"/);
  });
});
