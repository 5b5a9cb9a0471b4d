// The console's Images and Image pages, on the real policy service: the list (filters, search by
// reference or CVE, continue-token pages both ways, the match count), an image's verdict with its
// reasons and evidence, its scan report (a sensitive finding's path, layer and masked match, and
// never a secret value; vulnerabilities sorted on the server and paged), the report downloads,
// 404 for an unknown digest, a page for a huge report that stays under 500 KB, and the pages in
// Chromium: axe-core, phone width, no CSP violation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Compliance, digestBucketKey, VerdictSchema } from '@assay/proto';
import type { ImageAssurancePolicy, ScanReport } from '@assay/domain';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { report, sha, vuln } from '../policy/fixtures.ts';
import type { Page } from 'playwright-core';
import { checkAccessibility, launchBrowser, screenshot } from '../support/browser.ts';
import { ConsoleClient } from './client.ts';

const REGISTRY = 'registry.example.com';
const SECRET = sha('console-secret');
const CLEAN = sha('console-clean');
const HUGE = sha('console-huge');
const INDEX = sha('console-index');
const LAYER = sha('console-layer');
const BULK = 60;
const bulkDigest = (i: number) => sha(`console-bulk-${i}`);
const KEY_PATH = 'etc/ssl/private/server.key';
const MASKED = '-----BEGIN PRIVATE KEY-----MIIEvQ***';
/** A secret value: only where the page must not look (environment values, an unknown field). */
const SECRET_VALUE = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';

const policy: ImageAssurancePolicy = {
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { registries: [REGISTRY] },
  controls: { vulnerabilities: { maxSeverity: 'high' }, sensitiveData: { block: true } },
};

const secretReport = report(
  {
    vulnerabilities: [
      vuln('CVE-2024-1111', 'critical', { cvss: 7.5, title: 'openssl overflow' }),
      vuln('CVE-2024-2222', 'high', { cvss: 9.8 }),
      vuln('GHSA-abcd-efgh-ijkm', 'medium', { cvss: 5.1, packageName: 'lodash', packageVersion: '4.17.20' }),
      vuln('OSV-2024-77', 'low'),
    ],
    sensitiveData: [
      { rule: 'private-key', category: 'keys', severity: 'high', path: KEY_PATH, layerDigest: LAYER, line: 1, masked: MASKED },
    ],
    layers: [{ digest: LAYER, size: 12_345_678, createdBy: 'COPY server.key /etc/ssl/private/ # buildkit' }],
    config: {
      user: '0',
      runsAsRoot: true,
      envNames: ['PATH', 'AWS_SECRET_ACCESS_KEY'],
      env: [`AWS_SECRET_ACCESS_KEY=${SECRET_VALUE}`],
      labels: { team: 'a' },
    },
    checks: [{ id: 'no-curl', passed: false, message: 'curl is installed' }],
    licences: [{ package: 'lodash', licence: 'MIT', category: 'permissive' }],
    malware: [],
    os: { family: 'debian', name: 'Debian GNU/Linux', version: '12' },
    debugMatch: SECRET_VALUE,
  } as Partial<ScanReport>,
  { digest: SECRET, repository: 'team-a/api' },
);

const SEV = ['critical', 'high', 'medium', 'low'] as const;
const hugeReport = report(
  {
    vulnerabilities: Array.from({ length: 5000 }, (_, i) =>
      vuln(`CVE-2023-${10000 + i}`, SEV[i % 4]!, {
        cvss: (i % 100) / 10,
        title: `a long advisory title ${'x'.repeat(200)}`,
        packageName: `pkg-${i % 700}`,
      }),
    ),
    sensitiveData: Array.from({ length: 600 }, (_, i) => ({
      rule: 'generic-api-key',
      severity: 'medium' as const,
      path: `srv/app/config-${i}.yaml`,
      line: i,
      masked: `api_key: ab12***${'*'.repeat(40)}`,
    })),
    licences: Array.from({ length: 3000 }, (_, i) => ({ package: `pkg-${i}`, licence: 'GPL-3.0-only', category: 'restricted' })),
    checks: Array.from({ length: 800 }, (_, i) => ({ id: `check-${i}`, passed: i % 2 === 0, message: 'm'.repeat(100) })),
    layers: Array.from({ length: 400 }, (_, i) => ({ digest: sha(`huge-layer-${i}`), size: i * 1000, createdBy: 'RUN '.repeat(100) })),
    malware: Array.from({ length: 500 }, (_, i) => ({ name: 'Eicar-Signature', path: `tmp/eicar-${i}.com` })),
  } as Partial<ScanReport>,
  { digest: HUGE, repository: 'team-c/huge' },
);

async function until(pred: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The rows of the page's first table body. */
const rowsOf = (page: string) => (/<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '').match(/<tr[\s>]/g)?.length ?? 0;
const digestsOf = (page: string) => [...page.matchAll(/href="\/console\/images\/(sha256:[0-9a-f]{64})"/g)].map((m) => m[1]!);
const unescape = (s: string) => s.replaceAll('&amp;', '&');
const nextOf = (page: string) => {
  const m = /<a rel="next" href="([^"]+)"/.exec(page);
  return m ? unescape(m[1]!) : undefined;
};
const prevOf = (page: string) => {
  const m = /<a rel="prev" href="([^"]+)"/.exec(page);
  return m ? unescape(m[1]!) : undefined;
};

describe('console: images', () => {
  let h: Harness;
  let c: ConsoleClient;
  before(async () => {
    h = await startHarness();
    const created = await h.call('POST', '/api/v1/policies', { id: 'baseline', document: policy });
    assert.equal(created.status, 201, created.text);
    await h.storeAndAnnounce(secretReport);
    await h.storeAndAnnounce(report({}, { digest: CLEAN, repository: 'team-b/web' }));
    await h.storeAndAnnounce(hugeReport);
    // Images scanned long ago and still pending, listed after the judged ones; an index.
    const old = Date.parse('2024-01-01T00:00:00Z');
    for (let i = 0; i < BULK; i++) {
      const v = create(VerdictSchema, {
        image: { registry: REGISTRY, repository: 'bulk/app', tag: `b${i}`, digest: bulkDigest(i) },
        compliance: Compliance.PENDING,
        evaluatedAt: timestampFromDate(new Date(old + i * 1000)),
      });
      await h.kv.put(digestBucketKey(bulkDigest(i)), toBinary(VerdictSchema, v));
    }
    const index = create(VerdictSchema, {
      image: {
        registry: REGISTRY,
        repository: 'team-d/multi',
        tag: 'v1',
        digest: INDEX,
        mediaType: 'application/vnd.oci.image.index.v1+json',
      },
      compliance: Compliance.NON_COMPLIANT,
      evaluatedAt: timestampFromDate(new Date(old - 1000)),
      platforms: [
        { platform: { os: 'linux', architecture: 'amd64' }, digest: CLEAN, compliance: Compliance.COMPLIANT },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, digest: SECRET, compliance: Compliance.NON_COMPLIANT },
      ],
    });
    await h.kv.put(digestBucketKey(INDEX), toBinary(VerdictSchema, index));
    for (const d of [SECRET, HUGE]) await h.waitVerdict(d, (v) => v.compliance === Compliance.NON_COMPLIANT, 30_000);
    await h.waitVerdict(CLEAN, (v) => v.compliance === Compliance.COMPLIANT);
    await until(() => h.api.verdicts!.size === BULK + 4);
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
  });

  it('lists images newest first, 50 a page, with verdicts and the count', async () => {
    const r = await c.get('/console/images');
    assert.equal(r.status, 200);
    assert.match(r.text, /64 images known/);
    assert.equal(rowsOf(r.text), 50);
    const digests = digestsOf(r.text);
    assert.deepEqual(new Set(digests.slice(0, 3)), new Set([SECRET, CLEAN, HUGE]), 'the judged images first');
    assert.match(r.text, /team-a\/api<\/a>/);
    assert.match(r.text, /<span class="badge badge-non_compliant">non-compliant<\/span>/);
    assert.match(r.text, /<span class="badge badge-pending">pending<\/span>/);
    assert.match(r.text, /<strong>vulnerabilities<\/strong>: /, 'the first reason');
    assert.match(r.text, /<label for="f-q">Search<\/label>/);
    assert.ok(nextOf(r.text), 'a next page');
    assert.equal(prevOf(r.text), undefined);
  });

  it('follows continue tokens forward and back without repeating or skipping', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/console/images';
    const pages: string[] = [];
    while (url) {
      const r = await c.get(url);
      assert.equal(r.status, 200);
      pages.push(r.text);
      seen.push(...digestsOf(r.text));
      url = nextOf(r.text);
    }
    assert.equal(pages.length, 2);
    assert.equal(seen.length, BULK + 4);
    assert.equal(new Set(seen).size, BULK + 4);
    assert.equal(rowsOf(pages[1]!), 14);
    const back = await c.get(prevOf(pages[1]!)!);
    assert.deepEqual(digestsOf(back.text), digestsOf(pages[0]!));
    const bad = await c.get('/console/images?continue=not-a-token');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not valid/);
  });

  it('filters by verdict, repository glob, control and text (a reference or a CVE), with the match count', async () => {
    const nc = await c.get('/console/images?compliance=non_compliant');
    assert.match(nc.text, /3 images match \(of 64 images\)/);
    assert.deepEqual(new Set(digestsOf(nc.text)), new Set([SECRET, HUGE, INDEX]));
    assert.match(nc.text, /<option value="non_compliant" selected>/);
    const repo = await c.get(`/console/images?repository=${encodeURIComponent(`${REGISTRY}/team-b/*`)}`);
    assert.deepEqual(digestsOf(repo.text), [CLEAN]);
    assert.match(repo.text, /1 image matches/);
    const cve = await c.get('/console/images?q=cve-2024-1111');
    assert.deepEqual(digestsOf(cve.text), [SECRET]);
    const tag = await c.get('/console/images?q=app:b17');
    assert.deepEqual(digestsOf(tag.text), [bulkDigest(17)]);
    const control = await c.get('/console/images?compliance=non_compliant&control=sensitiveData');
    // The index is non-compliant too, but through its platforms: no reason of its own.
    assert.deepEqual(new Set(digestsOf(control.text)), new Set([SECRET, HUGE]));
    assert.match(control.text, /Failing control: <strong>sensitiveData<\/strong>/);
    const none = await c.get('/console/images?q=nothing-like-this');
    assert.match(none.text, /No image matches these filters/);
    const bad = await c.get('/console/images?compliance=green');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /id="f-compliance-error" class="field-error">unknown verdict/);
    assert.match(bad.text, /aria-invalid="true"/);
  });

  it('shows the verdict: reasons with evidence, policy versions, trust', async () => {
    const r = await c.get(`/console/images/${SECRET}`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1>team-a\/api <span data-verdict><span class="badge badge-non_compliant">non-compliant<\/span><\/span>/);
    assert.match(r.text, /<strong>vulnerabilities<\/strong> · policy <a href="\/console\/policies\/baseline">baseline<\/a>/);
    assert.match(r.text, /<strong>sensitiveData<\/strong>/);
    assert.match(r.text, /<th scope="row"><code>CVE-2024-1111<\/code><\/th>/, 'evidence items');
    assert.match(r.text, /<a href="\/console\/policies\/baseline">baseline<\/a> v1/);
    assert.match(r.text, /<h3>Trust<\/h3>/);
    const excuse = `/console/exceptions?digest=${encodeURIComponent(SECRET)}&amp;control=sensitiveData`;
    assert.ok(r.text.includes(`<a href="${excuse}">`), 'a link to excuse the finding');
  });

  it("shows the report: the private key's path, layer and masked match, never a secret value", async () => {
    const r = await c.get(`/console/images/${SECRET}`);
    const table = /<table id="sensitive-data">[\s\S]*?<\/table>/.exec(r.text)?.[0] ?? '';
    assert.match(table, /<tr data-finding="sensitive">\s*<th scope="row">private-key<\/th>/);
    assert.ok(table.includes(`<code>/${KEY_PATH}</code>`), 'the path, absolute as people read it');
    assert.ok(table.includes(`title="${LAYER}"`), 'the layer');
    assert.ok(table.includes(`<code>${MASKED}</code>`), 'the masked match');
    assert.ok(!r.text.includes(SECRET_VALUE), 'no secret value anywhere on the page');
    assert.ok(!r.text.includes('wJalrXUtnFEMI'), 'not even part of it');
    assert.match(r.text, /<code>PATH AWS_SECRET_ACCESS_KEY<\/code>/, 'environment variable names only');
    assert.match(r.text, /Debian GNU\/Linux 12/);
    assert.match(r.text, /docker\.io\/library\/debian:12/);
    assert.match(r.text, /12\.3 MB/);
    assert.match(r.text, /COPY server\.key/);
    assert.match(r.text, /<th scope="row"><code>no-curl<\/code><\/th>\s*<td>\s*<span class="badge badge-error">failed<\/span>/);
    assert.match(r.text, /href="https:\/\/nvd\.nist\.gov\/vuln\/detail\/CVE-2024-1111"/);
    assert.match(r.text, /href="https:\/\/github\.com\/advisories\/GHSA-abcd-efgh-ijkm"/);
    assert.match(r.text, /href="https:\/\/osv\.dev\/vulnerability\/OSV-2024-77"/);
    for (const d of ['report.json', 'report.cdx.json', 'report.sarif.json']) assert.ok(r.text.includes(`/console/images/${SECRET}/${d}`));
  });

  it('sorts vulnerabilities on the server by severity or CVSS', async () => {
    const order = (text: string) => {
      const table = /<table id="vulnerabilities">[\s\S]*?<\/table>/.exec(text)![0];
      return [...table.matchAll(/<th scope="row"><a href="[^"]+" rel="noopener noreferrer">([^<]+)<\/a>/g)].map((m) => m[1]);
    };
    const bySeverity = await c.get(`/console/images/${SECRET}`);
    assert.deepEqual(order(bySeverity.text), ['CVE-2024-1111', 'CVE-2024-2222', 'GHSA-abcd-efgh-ijkm', 'OSV-2024-77']);
    assert.match(bySeverity.text, /aria-sort="descending">\s*Severity/);
    const byCvss = await c.get(`/console/images/${SECRET}?sort=cvss`);
    assert.deepEqual(order(byCvss.text), ['CVE-2024-2222', 'CVE-2024-1111', 'GHSA-abcd-efgh-ijkm', 'OSV-2024-77']);
    assert.match(byCvss.text, /aria-sort="descending">\s*CVSS/);
  });

  it('downloads the report as stored, as CycloneDX and as SARIF', async () => {
    const base = `/console/images/${SECRET}`;
    const json = await c.get(`${base}/report.json`);
    assert.equal(json.status, 200);
    assert.match(json.headers.get('content-type')!, /^application\/json/);
    assert.match(json.headers.get('content-disposition')!, /^attachment; filename="sha256-[0-9a-f]{12}\.report\.json"$/);
    assert.equal(JSON.parse(json.text).reportId, secretReport.reportId);
    const cdx = await c.get(`${base}/report.cdx.json`);
    assert.equal(cdx.status, 200);
    assert.match(cdx.headers.get('content-type')!, /^application\/vnd\.cyclonedx\+json/);
    assert.match(cdx.headers.get('content-disposition')!, /\.cdx\.json"$/);
    assert.equal(JSON.parse(cdx.text).bomFormat, 'CycloneDX');
    const sarif = await c.get(`${base}/report.sarif.json`);
    assert.equal(sarif.status, 200);
    assert.match(sarif.headers.get('content-type')!, /^application\/sarif\+json/);
    assert.match(sarif.headers.get('content-disposition')!, /\.sarif\.json"$/);
    const log = JSON.parse(sarif.text);
    assert.equal(log.version, '2.1.0');
    assert.ok(!sarif.text.includes(SECRET_VALUE));
    // Downloads need the session like every page.
    const anonymous = await fetch(`${h.url}${base}/report.json`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
  });

  it('answers 404 for an unknown or malformed digest, and says when a scan is pending', async () => {
    const unknown = await c.get(`/console/images/${sha('never-seen')}`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /No image <code>sha256:/);
    assert.equal((await c.get('/console/images/sha256:xyz')).status, 404);
    assert.equal((await c.get('/console/images/not-a-digest')).status, 404);
    assert.equal((await c.get(`/console/images/${sha('never-seen')}/report.json`)).status, 404);
    assert.equal((await c.get(`/console/images/${bulkDigest(3)}/report.sarif.json`)).status, 404, 'no report yet');
    const pending = await c.get(`/console/images/${bulkDigest(3)}`);
    assert.equal(pending.status, 200);
    assert.match(pending.text, /The scan is pending: no report yet/);
  });

  it("lists an index's platforms with links to each", async () => {
    const r = await c.get(`/console/images/${INDEX}`);
    assert.equal(r.status, 200);
    assert.match(r.text, /Platforms of this index/);
    assert.ok(r.text.includes(`<a href="/console/images/${CLEAN}">linux/amd64</a>`));
    assert.ok(r.text.includes(`<a href="/console/images/${SECRET}">linux/arm64/v8</a>`));
    assert.match(r.text, /An image index has no scan report of its own/);
  });

  it('the overview counts these images; without the Kubernetes integration it has no running workloads', async () => {
    const r = await c.get('/console/');
    assert.equal(r.status, 200);
    assert.match(r.text, /<span class="n">64<\/span> images known/);
    assert.match(r.text, /<span class="n">3<\/span> non-compliant/);
    assert.match(r.text, /<span class="n">60<\/span> pending/);
    assert.doesNotMatch(r.text, /Running non-compliant workloads/);
  });

  it('keeps the page of a huge report under 500 KB, 200 vulnerabilities a page', async () => {
    const r = await c.get(`/console/images/${HUGE}`);
    assert.equal(r.status, 200);
    const bytes = Buffer.byteLength(r.text);
    assert.ok(bytes < 500 * 1024, `${bytes} bytes`);
    assert.match(r.text, /5,000 vulnerabilities; rows 1–200 \(page 1 of 25\)/);
    const table = /<table id="vulnerabilities">[\s\S]*?<\/table>/.exec(r.text)![0];
    assert.equal(rowsOf(table), 200);
    assert.match(r.text, /500 more findings not shown/, 'sensitive data capped');
    const last = await c.get(`/console/images/${HUGE}?sort=cvss&page=25`);
    assert.match(last.text, /rows 4,801–5,000 \(page 25 of 25\)/);
    assert.ok(prevOf(last.text)?.includes('page=24'));
    assert.ok(Buffer.byteLength(last.text) < 500 * 1024);
  });
  it('passes axe-core at 1280x800 and at phone width, without sideways scrolling or CSP violations', async () => {
    const browser = await launchBrowser();
    try {
      for (const [viewport, tag] of [
        [{ width: 1280, height: 800 }, 'desktop'],
        [{ width: 390, height: 844 }, 'phone'],
      ] as const) {
        const page: Page = await browser.newPage(viewport);
        const csp: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
        });
        await page.goto(`${h.url}/console/login`);
        await page.getByLabel('API token').fill(TOKEN);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${h.url}/console/`);
        for (const [path, name] of [
          ['/console/', 'overview'],
          ['/console/images', 'images'],
          ['/console/images?compliance=green', 'images-invalid-filter'],
          [`/console/images/${SECRET}`, 'image'],
          [`/console/images/${INDEX}`, 'image-index'],
          [`/console/images/${HUGE}?sort=cvss&page=2`, 'image-huge'],
        ] as const) {
          await page.goto(`${h.url}${path}`);
          const violations = await checkAccessibility(page);
          assert.deepEqual(
            violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.slice(0, 3).join(', ')})`),
            [],
            `axe on ${name} (${tag})`,
          );
          // The page itself never scrolls sideways: wide tables scroll in their own region.
          const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.ok((overflow as number) <= 1, `${name} (${tag}) is ${String(overflow)} px wider than the window`);
          await screenshot(page, `images-${name}-${tag}`);
        }
        assert.deepEqual(csp, [], 'no CSP violation');
      }
    } finally {
      await browser.close();
    }
  });
});
