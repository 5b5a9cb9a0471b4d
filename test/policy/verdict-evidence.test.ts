// A written verdict carries each failed control's evidence (bounded), remediation, whether it is
// audit-only, and the scan time; the REST API returns them; secret values never appear.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Compliance, VerdictSchema } from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const baseline: ImageAssurancePolicy = {
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-a/*'] },
  controls: { vulnerabilities: { maxSeverity: 'high' }, sensitiveData: { block: true } },
};
const licenceWatch: ImageAssurancePolicy = {
  name: 'licence watch',
  enabled: true,
  action: 'audit',
  scope: { repositories: ['team-a/*'] },
  controls: { licences: { denied: ['AGPL-3.0-only'] } },
};

const MASKED = '-----BEGIN PRIVATE KEY-----MIIEvQIBADANBg***';
const CVES = 3000;

describe('verdict evidence', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    for (const [id, document] of [
      ['baseline', baseline],
      ['licence-watch', licenceWatch],
    ] as const) {
      const r = await h.call('POST', '/api/v1/policies', { id, document });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await h?.close();
  });

  it('reasons carry their findings (CVE id and fixed version, secret rule and path, licence and package), remediation, audit_only; the verdict its scan time', async () => {
    const scannedAt = new Date('2026-01-15T10:20:30.456Z');
    const r = report(
      {
        scannedAt,
        packages: [
          { name: 'openssl', version: '3.0.11', type: 'deb', licences: ['Apache-2.0'] },
          { name: 'libfoo', version: '1.0', type: 'deb', licences: ['AGPL-3.0-only'] },
        ],
        vulnerabilities: [
          vuln('CVE-2024-0001', 'critical', { fixedVersion: '3.0.12' }),
          ...Array.from({ length: CVES }, (_, i) =>
            vuln(`CVE-2024-${String(10_000 + i)}`, 'critical', {
              packageName: `package-with-a-longish-name-${i}`,
              packageVersion: `1.${i}.0-r${i}`,
              fixedVersion: `1.${i}.1-r0`,
              cvss: 9.8,
            }),
          ),
        ],
        sensitiveData: [{ rule: 'private-key', path: 'etc/ssl/private/ssl-cert-snakeoil.key', severity: 'high', masked: MASKED }],
      },
      { digest: sha('evidence-image') },
    );
    await h.storeAndAnnounce(r);
    const { verdict } = await h.waitVerdict(r.image.digest, () => true);
    assert.equal(verdict.compliance, Compliance.NON_COMPLIANT);
    assert.deepEqual(timestampDate(verdict.scannedAt!).toISOString(), scannedAt.toISOString());

    const byControl = new Map(verdict.reasons.map((x) => [`${x.policy}/${x.control}`, x]));
    const vulns = byControl.get('baseline/vulnerabilities')!;
    assert.ok(vulns, 'vulnerabilities reason');
    assert.equal(vulns.auditOnly, false);
    // The message is what it was (kubectl shows it): a count, the first five, the remediation.
    assert.match(vulns.message, new RegExp(`^${CVES + 1} findings: .*CVE-2024-0001.* and ${CVES + 1 - 5} more — `));
    assert.match(vulns.remediation, /3\.0\.12/);
    // Evidence: the first 100 findings (most severe, then by id), the rest counted.
    assert.equal(vulns.evidence.length, 100);
    assert.equal(vulns.evidenceOmitted, CVES + 1 - 100);
    assert.equal(vulns.evidence[0]!.item, 'CVE-2024-0001');
    assert.deepEqual(vulns.evidence[0]!.fields, {
      id: 'CVE-2024-0001',
      package: 'openssl',
      version: '3.0.11',
      fixedVersion: '3.0.12',
      severity: 'critical',
    });
    assert.equal(vulns.evidence[1]!.fields['cvss'], '9.8', 'numbers as strings');

    const secret = byControl.get('baseline/sensitiveData')!;
    assert.ok(secret, 'sensitive-data reason');
    assert.equal(secret.evidence.length, 1);
    assert.equal(secret.evidenceOmitted, 0);
    assert.equal(secret.evidence[0]!.item, 'private-key');
    assert.deepEqual(secret.evidence[0]!.fields, { rule: 'private-key', path: 'etc/ssl/private/ssl-cert-snakeoil.key' });
    assert.match(secret.remediation, /rotate the secret/);

    const licence = byControl.get('licence-watch/licences')!;
    assert.ok(licence, 'licence reason of the audit policy');
    assert.equal(licence.auditOnly, true);
    assert.match(licence.message, /^audit only: /);
    assert.equal(licence.evidence[0]!.item, 'AGPL-3.0-only');
    assert.deepEqual(licence.evidence[0]!.fields, { package: 'libfoo', licence: 'AGPL-3.0-only' });
    assert.match(licence.remediation, /replace libfoo/);

    // No secret, masked or not, anywhere in the stored value.
    const bytes = toBinary(VerdictSchema, verdict);
    assert.ok(!Buffer.from(bytes).toString('latin1').includes('BEGIN PRIVATE KEY'), 'no masked secret in the verdict');
    // Bounded: a few thousand CVEs stay far below NATS's 1 MiB value limit.
    assert.ok(bytes.length < 64 * 1024, `verdict is ${bytes.length} bytes`);
    console.log(`# verdict with ${CVES + 1} CVEs: ${bytes.length} bytes`);

    // The REST API returns them too.
    const got = await h.call('GET', `/api/v1/verdicts/${r.image.digest}`);
    assert.equal(got.status, 200, got.text);
    const json = got.json as {
      scannedAt: string;
      reasons: Array<{
        policy: string;
        control: string;
        remediation: string;
        auditOnly?: boolean;
        evidenceOmitted?: number;
        evidence: Array<{ item: string; fields: Record<string, string> }>;
      }>;
    };
    assert.equal(json.scannedAt, scannedAt.toISOString());
    const jv = json.reasons.find((x) => x.control === 'vulnerabilities')!;
    assert.equal(jv.evidence[0]!.fields['fixedVersion'], '3.0.12');
    assert.equal(jv.evidenceOmitted, CVES + 1 - 100);
    assert.match(jv.remediation, /3\.0\.12/);
    assert.equal(json.reasons.find((x) => x.control === 'licences')!.auditOnly, true);
  });

  it('a verdict written before evidence was recorded is rewritten with it, not announced as a change', async () => {
    const { outcomeChanged, verdictChanged } = await import('@assay/policy-engine');
    const r = report({ vulnerabilities: [vuln('CVE-2024-7', 'critical')] }, { digest: sha('legacy') });
    await h.storeAndAnnounce(r);
    const { verdict } = await h.waitVerdict(r.image.digest, () => true);
    const legacy = structuredClone(verdict);
    delete legacy.scannedAt;
    for (const x of legacy.reasons) {
      x.evidence = [];
      x.remediation = '';
    }
    assert.equal(outcomeChanged(legacy, verdict), false);
    assert.equal(verdictChanged(legacy, verdict), true);
  });

  it('an index aggregate: platforms keep their evidence within one budget, its own reasons count it as omitted, its scan time is the latest', async () => {
    const { indexVerdict } = await import('@assay/policy-engine');
    const { create } = await import('@bufbuild/protobuf');
    const { ImageDiscoveredSchema } = await import('@assay/proto');
    const many = (n: number) =>
      report(
        { vulnerabilities: Array.from({ length: n }, (_, i) => vuln(`CVE-2025-${String(10_000 + i)}`, 'critical')) },
        { digest: sha(`platform-${n}`) },
      );
    const platforms = new Map();
    for (const [n, at] of [
      [150, '2026-01-02T00:00:00Z'],
      [20, '2026-01-03T00:00:00Z'],
    ] as const) {
      const r = many(n);
      r.scannedAt = new Date(at);
      await h.storeAndAnnounce(r);
      platforms.set(r.image.digest, (await h.waitVerdict(r.image.digest, () => true)).verdict);
    }
    const [a, b] = [...platforms.keys()] as [string, string];
    const index = create(ImageDiscoveredSchema, {
      image: { registry: 'registry.example.com', repository: 'team-a/api', digest: sha('the-index') },
      manifests: [
        { digest: a, platform: { os: 'linux', architecture: 'amd64' } },
        { digest: b, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    });
    const v = indexVerdict(index, platforms, new Date());
    assert.equal(timestampDate(v.scannedAt!).toISOString(), '2026-01-03T00:00:00.000Z');
    assert.deepEqual(
      v.platforms.map((p) => [p.reasons[0]!.evidence.length, p.reasons[0]!.evidenceOmitted]),
      [
        [100, 50],
        [20, 0],
      ],
    );
    assert.deepEqual(
      v.reasons.map((r) => [r.evidence.length, r.evidenceOmitted, r.auditOnly, r.remediation !== '']),
      [
        [0, 150, false, true],
        [0, 20, false, true],
      ],
    );
    assert.match(v.reasons[0]!.message, /^linux\/amd64: 150 findings/);
  });
});
