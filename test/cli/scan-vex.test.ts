// `assay scan --vex <file>` end to end through the launcher: an image in an OCI layout with
// lodash 4.17.20, matched against a database built by `assay vulndb` (one lodash advisory). An
// OpenVEX and a CycloneDX VEX statement suppress the finding: the table lists it apart, --severity
// ignores it, CycloneDX carries it as `analysis`, a policy judges the image compliant; a statement
// about another package or `affected` suppresses nothing; a missing or invalid file is an error.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImage, writeOciLayout } from '../support/oci-image.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runAssay } from './helpers.ts';

const ADVISORY = 'GHSA-aaaa-bbbb-cccc';

/** An OpenVEX v0.2.0 document (the specification's example shape) with one statement about lodash. */
function openVex(status: string, product = 'pkg:npm/lodash', extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/example/vex-9fb3463de1b57',
    author: 'Wolfi J Inkinson',
    timestamp: '2023-01-08T18:02:03.647787998-06:00',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2099-0001', aliases: [ADVISORY] },
        products: [{ '@id': product }],
        status,
        ...extra,
      },
    ],
  });
}

/** A CycloneDX 1.4 VEX (cyclonedx.org's standalone VEX shape) about lodash 4.17.20, by BOM-Link. */
const CDX_VEX = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.4',
  version: 1,
  vulnerabilities: [
    {
      id: ADVISORY,
      analysis: { state: 'resolved', detail: 'patched in our build of lodash' },
      affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.20' }],
    },
  ],
});

const POLICY = [
  'apiVersion: assay.dev/v1',
  'kind: ImageAssurancePolicy',
  'id: no-high',
  'spec:',
  '  name: no high',
  '  enabled: true',
  '  action: block',
  '  controls:',
  '    vulnerabilities: {maxSeverity: medium}',
  '',
].join('\n');

describe('assay scan --vex', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let layout = '';
  let db = '';
  const file = (name: string) => join(dir.path, name);

  before(async () => {
    dir = await makeTempDir('cli-vex');
    const image = await buildImage({
      layers: [
        [{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' }],
        [{ path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) }],
      ],
    });
    layout = file('layout');
    await writeOciLayout(layout, [{ tag: 'v1', image }]);
    const osv = file('osv');
    await mkdir(osv, { recursive: true });
    await writeFile(
      join(osv, `${ADVISORY}.json`),
      JSON.stringify({
        schema_version: '1.6.0',
        id: ADVISORY,
        modified: '2024-05-01T00:00:00Z',
        published: '2024-04-01T00:00:00Z',
        summary: 'lodash test advisory',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'lodash' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
          },
        ],
        database_specific: { severity: 'HIGH' },
      }),
    );
    db = file('vulndb.sqlite');
    const built = await runAssay(['vulndb', 'build', '--out', db, '--version', '20260101T000000Z', osv]);
    assert.equal(built.code, 0, built.stderr);
    await writeFile(
      file('not-affected.openvex.json'),
      openVex('not_affected', 'pkg:npm/lodash', {
        justification: 'vulnerable_code_not_in_execute_path',
        impact_statement: 'lodash.template is never called',
      }),
    );
    await writeFile(file('affected.openvex.json'), openVex('affected'));
    await writeFile(file('other.openvex.json'), openVex('not_affected', 'pkg:npm/underscore'));
    await writeFile(file('vex.cdx.json'), CDX_VEX);
    await writeFile(file('policy.yaml'), POLICY);
  });
  after(async () => {
    await dir?.remove();
  });

  it('without --vex the finding fails --severity high', async () => {
    const r = await runAssay(['scan', layout, '--vulndb', db, '--severity', 'high', '--exit-code']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /GHSA-aaaa-bbbb-cccc\s+high\s+lodash\s+4\.17\.20/);
  });

  it('an OpenVEX not_affected statement suppresses the finding: listed apart, not counted, the policy passes', async () => {
    const r = await runAssay([
      'scan',
      layout,
      '--vulndb',
      db,
      '--vex',
      file('not-affected.openvex.json'),
      '--severity',
      'high',
      '--policy',
      file('policy.yaml'),
      '--exit-code',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Policy: COMPLIANT/);
    assert.match(r.stdout, /Summary:\n  vulnerabilities\s+0 \(none\)\n  suppressed \(VEX\) 1/);
    assert.match(
      r.stdout,
      /Suppressed by VEX \(1\):\nID\s+PACKAGE\s+VERSION\s+STATUS\s+JUSTIFICATION\s+DOCUMENT\nGHSA-aaaa-bbbb-cccc\s+lodash\s+4\.17\.20\s+not_affected\s+vulnerable_code_not_in_execute_path\s+\S*not-affected\.openvex\.json/,
    );
    assert.doesNotMatch(r.stdout, /Vulnerabilities \(/);
  });

  it('CycloneDX output carries the statement as analysis; JSON keeps it on the finding', async () => {
    const cdx = await runAssay(['scan', layout, '--vulndb', db, '--vex', file('not-affected.openvex.json'), '-f', 'cyclonedx']);
    assert.equal(cdx.code, 0, cdx.stderr);
    const bom = JSON.parse(cdx.stdout) as {
      vulnerabilities: Array<{ id: string; analysis?: Record<string, unknown>; affects: Array<{ versions: Array<{ status: string }> }> }>;
    };
    const v = bom.vulnerabilities.find((x) => x.id === ADVISORY)!;
    assert.deepEqual(v.analysis, { state: 'not_affected', justification: 'code_not_reachable', detail: 'lodash.template is never called' });
    assert.equal(v.affects[0]!.versions[0]!.status, 'unaffected');
    const fromCdx = await runAssay(['scan', layout, '--vulndb', db, '--vex', file('vex.cdx.json'), '-f', 'json']);
    assert.equal(fromCdx.code, 0, fromCdx.stderr);
    const report = JSON.parse(fromCdx.stdout) as { vulnerabilities: Array<{ id: string; vex?: Record<string, unknown> }> };
    assert.deepEqual(report.vulnerabilities.find((x) => x.id === ADVISORY)!.vex, {
      status: 'fixed',
      detail: 'patched in our build of lodash',
      document: file('vex.cdx.json'),
    });
  });

  it('a statement about another package, or affected, suppresses nothing', async () => {
    for (const name of ['other.openvex.json', 'affected.openvex.json']) {
      const r = await runAssay(['scan', layout, '--vulndb', db, '--vex', file(name), '--policy', file('policy.yaml'), '--exit-code']);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, /Policy: NON-COMPLIANT/);
      assert.doesNotMatch(r.stdout, /Suppressed by VEX/);
      const cdx = JSON.parse((await runAssay(['scan', layout, '--vulndb', db, '--vex', file(name), '-f', 'cyclonedx'])).stdout) as {
        vulnerabilities: Array<{ analysis?: unknown }>;
      };
      assert.equal(cdx.vulnerabilities[0]!.analysis, undefined);
    }
  });

  it('a missing or invalid VEX file is an error (exit 2) naming the file, before the scan', async () => {
    const missing = await runAssay(['scan', layout, '--vex', file('nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^assay scan: --vex \S*nope\.json: no such file\n$/);
    await writeFile(
      file('broken.json'),
      '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "perhaps"}]}',
    );
    const invalid = await runAssay(['scan', layout, '--vex', file('broken.json')]);
    assert.equal(invalid.code, 2);
    assert.match(
      invalid.stderr,
      /^assay scan: --vex \S*broken\.json: statements\[0\]\.status is "perhaps", not one of not_affected, affected, fixed, under_investigation\n$/,
    );
    await writeFile(file('sbom.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3' }));
    const notVex = await runAssay(['scan', layout, '--vex', file('sbom.json')]);
    assert.equal(notVex.code, 2);
    assert.match(notVex.stderr, /--vex \S*sbom\.json: neither OpenVEX .* nor CycloneDX VEX/);
  });
});
