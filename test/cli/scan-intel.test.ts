// Vulnerability intelligence through the CLI: `assay vulndb build --epss --kev --eol-table` from
// feeds in their published shapes, `vulndb info` listing them, and `assay scan` of OCI layouts
// showing EPSS/KEV and the end-of-life warning in the table, carrying them in JSON, SARIF and
// CycloneDX, judging kev/osEndOfLife policies, and exiting with --exit-on-eol's status.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { buildImage, writeOciLayout } from '../support/oci-image.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runAssay } from './helpers.ts';

const lodash = JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' });
const osRelease = (v: string) => `ID=alpine\nVERSION_ID=${v}\nPRETTY_NAME="Alpine Linux v${v}"\n`;

// FIRST's CSV and CISA's JSON in their published shapes (scores illustrative).
const EPSS = [
  '#model_version:v2025.03.14,score_date:2026-12-05T12:55:00Z',
  'cve,epss,percentile',
  'CVE-2021-23337,0.94358,0.99957',
  '',
].join('\n');
const KEV = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2026.12.04',
  dateReleased: '2026-12-04T16:58:12.2215Z',
  count: 1,
  vulnerabilities: [
    {
      cveID: 'CVE-2021-23337',
      vendorProject: 'Lodash',
      product: 'Lodash',
      vulnerabilityName: 'Lodash Command Injection Vulnerability',
      dateAdded: '2025-01-07',
      shortDescription: 'Lodash contains a command injection vulnerability via the template function.',
      requiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
      dueDate: '2025-01-28',
      knownRansomwareCampaignUse: 'Known',
      notes: '',
      cwes: ['CWE-77'],
    },
  ],
};
// An own end-of-life table: the test does not depend on today's date.
const EOL = { source: 'test table', families: { alpine: { releases: { '3.19': '2020-01-01', '3.99': '2999-12-31' } } } };

const POLICY = [
  'apiVersion: assay.dev/v1',
  'kind: ImageAssurancePolicy',
  'id: intel',
  'spec:',
  '  name: intel',
  '  enabled: true',
  '  action: block',
  '  controls:',
  '    kev: {block: true}',
  '    epss: {minPercentile: 0.99}',
  '    osEndOfLife: {block: true}',
  '',
].join('\n');

describe('assay vulndb build/info and assay scan with EPSS, KEV and end of life', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let db: string;
  let old: string;
  let current: string;
  let policy: string;

  before(async () => {
    dir = await makeTempDir('cli-intel');
    const osv = join(dir.path, 'osv');
    await mkdir(osv, { recursive: true });
    await writeFile(
      join(osv, 'GHSA-35jh-r3h4-6jhm.json'),
      JSON.stringify({
        id: 'GHSA-35jh-r3h4-6jhm',
        modified: '2024-05-01T00:00:00Z',
        published: '2021-02-15T00:00:00Z',
        aliases: ['CVE-2021-23337'],
        summary: 'Command Injection in lodash',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'lodash' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
          },
        ],
        database_specific: { severity: 'HIGH' },
      }),
    );
    await writeFile(join(dir.path, 'epss_scores-2026-12-05.csv.gz'), gzipSync(EPSS));
    await writeFile(join(dir.path, 'known_exploited_vulnerabilities.json'), JSON.stringify(KEV));
    await writeFile(join(dir.path, 'eol.json'), JSON.stringify(EOL));
    policy = join(dir.path, 'policy.yaml');
    await writeFile(policy, POLICY);
    db = join(dir.path, 'vulndb.sqlite');
    for (const [name, version] of [
      ['old', '3.19.1'],
      ['current', '3.99.0'],
    ] as const) {
      const image = await buildImage({
        layers: [
          [{ path: 'etc/os-release', content: osRelease(version) }],
          [{ path: 'app/node_modules/lodash/package.json', content: lodash }],
        ],
      });
      await writeOciLayout(join(dir.path, name), [{ tag: 'v1', image }]);
    }
    old = `${join(dir.path, 'old')}:v1`;
    current = `${join(dir.path, 'current')}:v1`;
  });
  after(() => dir?.remove());

  it('builds EPSS, KEV and the end-of-life table into the database; info lists them', async () => {
    const built = await runAssay([
      'vulndb',
      'build',
      '--out',
      db,
      '--epss',
      join(dir.path, 'epss_scores-2026-12-05.csv.gz'),
      '--kev',
      join(dir.path, 'known_exploited_vulnerabilities.json'),
      '--eol-table',
      join(dir.path, 'eol.json'),
      join(dir.path, 'osv'),
    ]);
    assert.equal(built.code, 0, built.stderr);
    const info = await runAssay(['vulndb', 'info', db]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(
      info.stdout,
      /^Intelligence:\n {2}EPSS: 1 CVEs \(model v2025\.03\.14, scores of 2026-12-05T12:55:00Z\) from .*epss_scores-2026-12-05\.csv\.gz$/m,
    );
    assert.match(info.stdout, /^ {2}KEV: 1 CVEs \(catalogue 2026\.12\.04, released 2026-12-04T16:58:12\.2215Z\) from /m);
    assert.match(info.stdout, /^ {2}OS end of life: 2 releases from test table$/m);
    const missing = await runAssay([
      'vulndb',
      'build',
      '--out',
      join(dir.path, 'x.sqlite'),
      '--kev',
      join(dir.path, 'nope.json'),
      join(dir.path, 'osv'),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--kev .*nope\.json: no such file/);
  });

  it('the table warns at the top about an end-of-life OS and shows EPSS and KEV; --exit-on-eol decides the exit status', async () => {
    const r = await runAssay(['scan', old, '--vulndb', db]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[1], 'OS: alpine 3.19.1 (end of life 2020-01-01)');
    assert.equal(lines[2], 'WARNING: alpine 3.19.1 reached its end of life on 2020-01-01: it gets no more security fixes');
    assert.match(r.stdout, /^ID +SEVERITY +PACKAGE +VERSION +FIXED IN +EPSS +KEV$/m);
    assert.match(r.stdout, /^GHSA-35jh-r3h4-6jhm +high +lodash +4\.17\.20 +4\.17\.21 +0\.944 +ransomware$/m);

    const eol = await runAssay(['scan', old, '--vulndb', db, '--exit-on-eol', '3']);
    assert.equal(eol.code, 3);
    assert.match(eol.stderr, /alpine 3\.19\.1 reached its end of life on 2020-01-01: exit status 3 \(--exit-on-eol\)/);
    const supported = await runAssay(['scan', current, '--vulndb', db, '--exit-on-eol', '3']);
    assert.equal(supported.code, 0, supported.stderr);
    assert.match(supported.stdout, /^OS: alpine 3\.99\.0 \(end of life 2999-12-31\)\n(?!WARNING)/m);
    const bad = await runAssay(['scan', old, '--vulndb', db, '--exit-on-eol', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--exit-on-eol must be an exit status 0-255, got "x"/);
  });

  it('JSON, SARIF and CycloneDX carry EPSS, KEV and the end of life', async () => {
    const json = JSON.parse((await runAssay(['scan', old, '--vulndb', db, '-f', 'json'])).stdout) as {
      os: Record<string, unknown>;
      vulnerabilities: Record<string, unknown>[];
    };
    assert.deepEqual(json.os, { family: 'alpine', name: '3.19.1', version: '3.19.1', eol: '2020-01-01', eolReached: true });
    assert.deepEqual(json.vulnerabilities[0]!.epss, { score: 0.94358, percentile: 0.99957, cve: 'CVE-2021-23337' });
    assert.deepEqual(json.vulnerabilities[0]!.kev, {
      cve: 'CVE-2021-23337',
      dateAdded: '2025-01-07',
      dueDate: '2025-01-28',
      ransomware: true,
    });

    const sarif = JSON.parse((await runAssay(['scan', old, '--vulndb', db, '-f', 'sarif'])).stdout) as {
      runs: { results: { properties: Record<string, unknown> }[]; properties: { os?: { eol?: string } } }[];
    };
    const props = sarif.runs[0]!.results.find((x) => x.properties.packageName === 'lodash')!.properties;
    assert.equal(props.epss, 0.94358);
    assert.equal(props.epssPercentile, 0.99957);
    assert.deepEqual(props.kev, { cve: 'CVE-2021-23337', dateAdded: '2025-01-07', dueDate: '2025-01-28', ransomware: true });
    assert.equal(sarif.runs[0]!.properties.os?.eol, '2020-01-01');

    const bom = JSON.parse((await runAssay(['scan', old, '--vulndb', db, '-f', 'cyclonedx'])).stdout) as {
      metadata: { component: { properties: { name: string; value: string }[] } };
      vulnerabilities: { id: string; ratings: Record<string, unknown>[]; properties: { name: string; value: string }[] }[];
    };
    assert.ok(bom.metadata.component.properties.some((p) => p.name === 'assay:os:eol' && p.value === '2020-01-01'));
    const v = bom.vulnerabilities.find((x) => x.id === 'GHSA-35jh-r3h4-6jhm')!;
    const epss = v.ratings.find((r) => r.method === 'other');
    assert.deepEqual(epss, {
      source: { name: 'FIRST', url: 'https://www.first.org/epss/' },
      score: 0.94358,
      method: 'other',
      justification: 'EPSS: probability of exploitation in the next 30 days 0.94358, percentile 0.99957',
    });
    const kev = Object.fromEntries(v.properties.filter((p) => p.name.startsWith('assay:kev:')).map((p) => [p.name, p.value]));
    assert.deepEqual(kev, {
      'assay:kev:cve': 'CVE-2021-23337',
      'assay:kev:dateAdded': '2025-01-07',
      'assay:kev:dueDate': '2025-01-28',
      'assay:kev:ransomware': 'true',
    });
  });

  it('a policy with kev, epss and osEndOfLife fails the image with --exit-code, naming the CVE, the score and the date', async () => {
    const r = await runAssay(['scan', old, '--vulndb', db, '--policy', policy, '--exit-code']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /FAIL {2}intel\/kev \[critical\]: 1 finding: GHSA-35jh-r3h4-6jhm \(CVE-2021-23337\) in lodash 4\.17\.20 is known exploited \(CISA KEV since 2025-01-07, due 2025-01-28, used in ransomware campaigns\)/,
    );
    assert.match(r.stdout, /FAIL {2}intel\/epss \[high\]: 1 finding: .*EPSS 0\.94358 \(99\.96% percentile\), percentile limit 0\.99/);
    assert.match(r.stdout, /FAIL {2}intel\/osEndOfLife \[high\]: 1 finding: alpine 3\.19\.1 reached its end of life on 2020-01-01/);
  });
});
