import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScanReportSchema, type ScanReport } from '../../packages/domain/src/index.ts';
import { pathToUri, SARIF_VERSION, toSarif, type SarifLog } from '@assay/scan-engine';
import { BUILDER_ID, KEYLESS_IDENTITY, SOURCE_REPOSITORY, trustFixture } from '../support/trust-section.ts';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const L1 = sha('1');
const L2 = sha('2');

// Validated by the store's own schema, so the fixture is a report the store would hold.
const report: ScanReport = ScanReportSchema.parse({
  reportId: 'r-1',
  image: { registry: 'registry.test', repository: 'team/app', digest: sha('a'), tag: '1.0' },
  analyzerVersions: { dpkg: 1, npm: 2 },
  vulnDbVersion: 'osv-2026-11-26',
  scannedAt: '2026-11-26T10:00:00Z',
  layers: [
    { digest: L1, size: 10 },
    { digest: L2, size: 20 },
  ],
  packages: [
    { name: 'openssl', version: '3.0.15-1~deb12u1', type: 'deb', purl: 'pkg:deb/debian/openssl@3.0.15-1~deb12u1', layerDigest: L1 },
    {
      name: 'lodash',
      version: '4.17.20',
      type: 'npm',
      purl: 'pkg:npm/lodash@4.17.20',
      layerDigest: L2,
      path: 'app/node_modules/lodash/package.json',
    },
  ],
  vulnerabilities: [
    {
      id: 'CVE-2024-0001',
      packageName: 'openssl',
      packageVersion: '3.0.15-1~deb12u1',
      packageType: 'deb',
      severity: 'critical',
      title: 'Bad\nthing',
      fixedVersion: '3.0.16-1',
    },
    { id: 'GHSA-35jh-r3h4-6jhm', packageName: 'lodash', packageVersion: '4.17.20', packageType: 'npm', severity: 'high', cvss: 7.2 },
    { id: 'CVE-2024-0002', packageName: 'openssl', packageVersion: '3.0.15-1~deb12u1', severity: 'medium' },
    { id: 'CVE-2024-0003', packageName: 'openssl', packageVersion: '3.0.15-1~deb12u1', severity: 'low' },
    { id: 'CVE-2024-0004', packageName: 'ghost', packageVersion: '1', severity: 'unknown' },
    // The same advisory in a second package: one rule, two results.
    { id: 'CVE-2024-0002', packageName: 'lodash', packageVersion: '4.17.20', packageType: 'npm', severity: 'medium' },
  ],
  sensitiveData: [
    {
      rule: 'aws-access-key-id',
      category: 'AWS',
      severity: 'critical',
      path: 'etc/app config/.env',
      layerDigest: L2,
      line: 3,
      masked: 'AKIA************MPLE',
    },
  ],
  malware: [{ name: 'Assay.Test.EICAR.UNOFFICIAL', path: 'opt/eicar.com', layerDigest: L2 }],
  checks: [
    { id: 'non-root', passed: false, message: 'no user is set: the container runs as root' },
    { id: 'has-label', passed: true, message: 'labels present: team' },
  ],
});

function run(log: SarifLog) {
  const r = log.runs[0];
  assert.ok(r);
  return r;
}

describe('SARIF 2.1.0', () => {
  const log = toSarif(report, { toolVersion: '0.1.0' });
  const r = run(log);
  const byRule = (id: string) => r.results.filter((x) => x.ruleId === id);

  test('log structure: version, schema, one run by the Assay driver, JSON round-trip', () => {
    assert.equal(log.version, SARIF_VERSION);
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-schema-2\.1\.0\.json$/);
    assert.equal(log.runs.length, 1);
    assert.equal(r.tool.driver.name, 'Assay');
    assert.equal(r.tool.driver.version, '0.1.0');
    assert.deepEqual(JSON.parse(JSON.stringify(log)), log);
    assert.equal(r.properties.reportId, 'r-1');
    assert.equal(r.properties.vulnDbVersion, 'osv-2026-11-26');
    assert.equal(r.properties.scannedAt, '2026-11-26T10:00:00.000Z');
  });

  test('every result references its rule by id and index; rule ids are unique', () => {
    const ids = r.tool.driver.rules.map((x) => x.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const res of r.results) {
      assert.equal(r.tool.driver.rules[res.ruleIndex]?.id, res.ruleId);
      assert.ok(['error', 'warning', 'note', 'none'].includes(res.level));
      assert.ok(res.message.text.length > 0);
      assert.ok(res.locations.length > 0);
      for (const loc of res.locations) {
        const uri = loc.physicalLocation?.artifactLocation.uri;
        // A relative URI reference: no scheme, no leading slash, nothing unencoded.
        if (uri !== undefined) assert.match(uri, /^[A-Za-z0-9._~%!$&'()*+,;=:@-][A-Za-z0-9._~%!$&'()*+,;=:@/-]*$/);
        if (loc.physicalLocation?.region) assert.ok(loc.physicalLocation.region.startLine >= 1);
      }
      assert.match(res.partialFingerprints['assayFinding/v1'] ?? '', /^[0-9a-f]{64}$/);
    }
    // 6 vulnerabilities + 1 secret + 1 malware + 1 failed check; the passed check is left out.
    assert.equal(r.results.length, 9);
    assert.deepEqual(ids, [
      'CVE-2024-0001',
      'GHSA-35jh-r3h4-6jhm',
      'CVE-2024-0002',
      'CVE-2024-0003',
      'CVE-2024-0004',
      'sensitive/aws-access-key-id',
      'malware/Assay.Test.EICAR.UNOFFICIAL',
      'check/non-root',
    ]);
    const fps = r.results.map((x) => x.partialFingerprints['assayFinding/v1']);
    assert.equal(new Set(fps).size, fps.length);
  });

  test('vulnerabilities: levels from severity, security-severity, package locations with layer', () => {
    assert.deepEqual(
      ['CVE-2024-0001', 'GHSA-35jh-r3h4-6jhm', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004'].map((id) => byRule(id)[0]?.level),
      ['error', 'error', 'warning', 'note', 'warning'],
    );
    const rule = r.tool.driver.rules.find((x) => x.id === 'GHSA-35jh-r3h4-6jhm');
    assert.equal(rule?.properties['security-severity'], '7.2');
    assert.equal(rule?.helpUri, 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm');
    assert.equal(r.tool.driver.rules[0]?.shortDescription.text, 'Bad thing');
    const lodash = byRule('GHSA-35jh-r3h4-6jhm')[0];
    assert.deepEqual(lodash?.locations[0], {
      physicalLocation: { artifactLocation: { uri: 'app/node_modules/lodash/package.json', uriBaseId: 'ROOTFS' } },
      logicalLocations: [{ name: 'lodash@4.17.20', fullyQualifiedName: 'pkg:npm/lodash@4.17.20', kind: 'npm' }],
      properties: { layerDigest: L2 },
    });
    const openssl = byRule('CVE-2024-0001')[0];
    assert.equal(openssl?.locations[0]?.physicalLocation, undefined); // an OS package has no file of its own here
    assert.equal(openssl?.locations[0]?.properties?.layerDigest, L1);
    assert.match(openssl?.message.text ?? '', /openssl 3\.0\.15-1~deb12u1 is affected by CVE-2024-0001 \(critical\); fixed in 3\.0\.16-1/);
    assert.equal(byRule('CVE-2024-0002').length, 2);
  });

  test('sensitive data: masked only, path encoded, line region, layer in properties', () => {
    const [s] = byRule('sensitive/aws-access-key-id');
    assert.ok(s);
    assert.equal(s.level, 'error');
    assert.equal(s.message.text, 'aws-access-key-id in etc/app config/.env line 3: AKIA************MPLE');
    assert.deepEqual(s.locations[0], {
      physicalLocation: { artifactLocation: { uri: 'etc/app%20config/.env', uriBaseId: 'ROOTFS' }, region: { startLine: 3 } },
      properties: { layerDigest: L2 },
    });
  });

  test('malware and failed checks', () => {
    const [m] = byRule('malware/Assay.Test.EICAR.UNOFFICIAL');
    assert.equal(m?.level, 'error');
    assert.equal(m?.locations[0]?.physicalLocation?.artifactLocation.uri, 'opt/eicar.com');
    assert.equal(m?.locations[0]?.properties?.layerDigest, L2);
    const [c] = byRule('check/non-root');
    assert.equal(c?.level, 'error');
    assert.equal(c?.message.text, 'non-root failed: no user is set: the container runs as root');
    assert.equal(c?.locations[0]?.logicalLocations?.[0]?.name, `registry.test/team/app@${sha('a')}`);
    assert.equal(byRule('check/has-label').length, 0);
  });

  test('an empty report is a valid log with no results', () => {
    const empty = toSarif({ ...report, vulnerabilities: [], sensitiveData: undefined, malware: [], checks: [] });
    assert.deepEqual(run(empty).results, []);
    assert.deepEqual(run(empty).tool.driver.rules, []);
  });

  test('a shared rule takes the highest level among its findings', () => {
    const two = toSarif({
      ...report,
      vulnerabilities: [
        { id: 'CVE-X', packageName: 'a', packageVersion: '1', severity: 'low' },
        { id: 'CVE-X', packageName: 'b', packageVersion: '1', severity: 'critical' },
      ],
    });
    assert.equal(run(two).tool.driver.rules[0]?.defaultConfiguration.level, 'error');
    assert.equal(run(two).tool.driver.rules[0]?.properties['security-severity'], '9.5');
  });

  test('paths become relative URI references', () => {
    assert.equal(pathToUri('/usr/lib/a b/#x?.so'), 'usr/lib/a%20b/%23x%3F.so');
    assert.equal(pathToUri('./etc//passwd'), 'etc/passwd');
  });
});

describe('SARIF 2.1.0: the trust section', () => {
  const image = { registry: 'registry.test', repository: 'team/app', digest: sha('a') };
  const fixture = trustFixture(image);
  const log = toSarif({ ...report, trust: fixture.section });
  const r = run(log);
  const trustResults = r.results.filter((x) => x.ruleId.startsWith('assay-trust-'));

  test('one result per artifact that cannot count, under assay-trust rules, as warnings', () => {
    // The failed record (payload of another digest) only: the verified keyless signature, the key
    // signature and both attestations can count.
    assert.equal(trustResults.length, 1);
    const [bad] = trustResults;
    assert.equal(bad?.ruleId, 'assay-trust-unusable-signature');
    assert.equal(bad?.level, 'warning');
    assert.equal(r.tool.driver.rules[bad!.ruleIndex]?.id, 'assay-trust-unusable-signature');
    assert.match(
      bad?.message.text ?? '',
      /signature registry\.test\/team\/app:sha256-a{64}\.sig \(image sha256:a{64}, via cosign-tag\) cannot count: payload names sha256:9{64}, not this image/,
    );
    assert.deepEqual(bad?.locations, [
      { logicalLocations: [{ name: `registry.test/team/app:sha256-${'a'.repeat(64)}.sig`, kind: 'resource' }] },
    ]);
    assert.equal(bad?.properties?.scope, 'image');
    // The other findings are still there, and rules stay unique.
    assert.equal(r.results.length, 10);
    const ids = r.tool.driver.rules.map((x) => x.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('a keyless certificate that did not verify and an attestation about another digest are results', () => {
    const section = structuredClone(fixture.section);
    section.signatures[0]!.keyless = { verified: false, error: 'certificate chain does not lead to a trusted root' };
    section.attestations[0]!.subjectMatches = false;
    const rs = run(toSarif({ ...report, trust: section })).results.filter((x) => x.ruleId.startsWith('assay-trust-'));
    assert.deepEqual(rs.map((x) => x.ruleId).sort(), [
      'assay-trust-attestation-subject-mismatch',
      'assay-trust-keyless-unverified',
      'assay-trust-unusable-signature',
    ]);
    const keyless = rs.find((x) => x.ruleId === 'assay-trust-keyless-unverified');
    assert.match(
      keyless?.message.text ?? '',
      /cannot count: keyless certificate did not verify: certificate chain does not lead to a trusted root/,
    );
    const subject = rs.find((x) => x.ruleId === 'assay-trust-attestation-subject-mismatch');
    assert.match(subject?.message.text ?? '', /^slsa-provenance attestation .* does not name sha256:a{64}$/);
    assert.equal(subject?.properties?.predicateType, 'https://slsa.dev/provenance/v1');
  });

  test('the run property summarises signatures and attestations', () => {
    assert.deepEqual(r.properties.trust, {
      verifiedAt: '2026-11-26T10:00:00.000Z',
      subjects: [`image ${sha('a')}`],
      roots: ['public-good@5f1a'],
      signatures: { found: 3, usable: 2, keylessIdentities: [KEYLESS_IDENTITY], keySignatures: 1 },
      attestations: {
        found: 2,
        usable: 2,
        kinds: ['openvex', 'slsa-provenance'],
        builderIds: [BUILDER_ID],
        sourceRepositories: [SOURCE_REPOSITORY],
      },
      warnings: [],
    });
    // A report without a trust section has no such property.
    assert.equal(run(toSarif(report)).properties.trust, undefined);
  });

  test('no signed payload and no signature appears in the log', () => {
    const text = JSON.stringify(log);
    assert.ok(fixture.secrets.length >= 6);
    for (const s of fixture.secrets) assert.ok(!text.includes(s), 'signed bytes or a signature leaked into SARIF');
    for (const s of fixture.secrets) assert.ok(!text.includes(Buffer.from(s, 'base64').toString('hex')));
    assert.ok(!text.includes('docker-manifest-digest'), 'the simple-signing payload leaked into SARIF');
    assert.ok(!text.includes('"keyed"') && !text.includes('"signed"'));
  });
});
