// Trust in audit documents, end to end through Assay's own code: a report with a trust section is
// judged into a verdict (verdictFromEvaluation, with the reasons the signatures and attestations
// controls give), the verdict becomes the verdict-change event (policy) and an admission decision
// (review + admission audit), and each maps to an ECS document whose trust fields are typed by
// the index template, with no signature or signed payload anywhere in it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScanReportSchema, type ScanReport } from '@assay/domain';
import { verdictFromEvaluation, type Evaluation, type PolicyRef } from '@assay/policy-engine';
import { Compliance, type Verdict } from '@assay/proto';
import { auditEventOf } from '@assay/admission';
import { reviewAdmission } from '@assay/review-engine';
import { AUDIT_MAPPINGS, toEcs } from '@assay/audit';
import { verdictAudit } from '../../services/policy/src/audit.ts';
import { scanAuditEvent, scanCompletedEvent } from '../../services/scanner/src/events.ts';
import { canonical, memorySnapshot, runtimePolicy } from '../admission/helpers.ts';
import { flattenMapping } from '../support/elasticsearch-standin/index.ts';
import { BUILDER_ID, KEYLESS_IDENTITY, SOURCE_REPOSITORY, trustFixture } from '../support/trust-section.ts';

const image = { registry: 'registry.local', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}`, tag: 'v1' };
const fixture = trustFixture(image);
const report: ScanReport = ScanReportSchema.parse({
  reportId: 'r-trust',
  image,
  analyzerVersions: {},
  scannedAt: '2026-11-26T10:00:00Z',
  layers: [],
  packages: [],
  vulnerabilities: [],
  trust: fixture.section,
});
const sig = fixture.section.signatures;

// The reasons the trust controls give for this report under a policy trusting neither signer
// and requiring provenance from another builder (their evidence fields as the controls name them).
const evaluation: Evaluation = {
  compliant: false,
  exceptionsApplied: [],
  reasons: [
    {
      policy: 'supply-chain',
      control: 'signatures',
      message: 'signed with a key this policy does not trust (a key signature (key id release); checked against release key)',
      severity: 'high',
      action: 'block',
      remediation: 'sign the image with a trusted key',
      items: ['signature', 'signature'],
      evidence: {
        items: [
          {
            signer: `${KEYLESS_IDENTITY} (https://token.actions.githubusercontent.com)`,
            subject: image.digest,
            scope: 'image',
            source: 'referrer',
            artifact: sig[0]!.artifact,
          },
          {
            signer: 'a key signature (key id release)',
            subject: image.digest,
            scope: 'image',
            source: 'cosign-tag',
            artifact: sig[1]!.artifact,
          },
        ],
      },
    },
    {
      policy: 'supply-chain',
      control: 'attestations',
      message: `provenance by builder ${BUILDER_ID}, which is not in the allow list`,
      severity: 'high',
      action: 'block',
      remediation: 'build with an allowed builder',
      items: ['slsa-provenance'],
      evidence: {
        items: [
          {
            signer: KEYLESS_IDENTITY,
            subject: image.digest,
            scope: 'image',
            source: 'referrer',
            artifact: fixture.section.attestations[0]!.artifact,
            builderId: BUILDER_ID,
            sourceRepository: SOURCE_REPOSITORY,
          },
        ],
      },
    },
  ],
};

const origin = { subject: 'assay.audit.policy', stream: 'ASSAY_AUDIT', streamSequence: 3, storedAt: new Date('2026-11-26T10:00:00Z') };
const mapped = flattenMapping(AUDIT_MAPPINGS as never);

function leafPaths(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => leafPaths(d, prefix));
  if (doc && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

function assertNoSecrets(doc: unknown): void {
  const text = JSON.stringify(doc);
  assert.ok(fixture.secrets.length >= 6);
  for (const s of fixture.secrets) assert.ok(!text.includes(s), 'signed bytes or a signature leaked into the audit document');
  assert.ok(!text.includes('docker-manifest-digest'));
}

/** The admission decision for a Pod running `registry.local/team/app:v1`, judged by `v`. */
function admissionDoc(v: Verdict) {
  const snap = memorySnapshot({
    policies: [runtimePolicy('rp')],
    tags: new Map([[canonical('registry.local/team/app:v1'), image.digest]]),
    verdicts: new Map([[image.digest, v]]),
  });
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-trust',
      operation: 'CREATE',
      namespace: 'shop',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      object: { spec: { containers: [{ name: 'app', image: 'registry.local/team/app:v1' }] } },
    },
  };
  const { outcome } = reviewAdmission(review, snap);
  return toEcs(auditEventOf(outcome, 'admission'), { ...origin, subject: 'assay.audit.admission' }) as Record<string, any>;
}

describe('audit documents: trust', () => {
  const verdict = verdictFromEvaluation(
    report,
    evaluation,
    [{ id: 'supply-chain', version: 2 } as PolicyRef],
    new Date('2026-11-26T10:01:00Z'),
  );

  it("the verdict's trust summary: usable signatures' signers and attestation kinds, not the failed record", () => {
    assert.equal(verdict.compliance, Compliance.NON_COMPLIANT);
    assert.deepEqual(
      { signed: verdict.trust?.signed, signers: verdict.trust?.signers, kinds: verdict.trust?.attestationKinds },
      { signed: true, signers: [KEYLESS_IDENTITY, 'key release'], kinds: ['openvex', 'slsa-provenance'] },
    );
    // A keyless certificate that did not verify and a record with an error sign nothing.
    const section = structuredClone(fixture.section);
    section.signatures[0]!.keyless = { verified: false, error: 'untrusted root' };
    section.signatures[1]!.error = 'unreadable layer';
    section.attestations[0]!.subjectMatches = false;
    const unsigned = verdictFromEvaluation({ ...report, trust: section }, evaluation, [], new Date());
    assert.deepEqual(
      { signed: unsigned.trust?.signed, signers: unsigned.trust?.signers, kinds: unsigned.trust?.attestationKinds },
      { signed: false, signers: [], kinds: ['openvex'] },
    );
    // A report from before trust verification has no summary.
    assert.equal(verdictFromEvaluation({ ...report, trust: undefined }, evaluation, [], new Date()).trust, undefined);
  });

  it('a verdict change carries assay.trust and the trust reasons with their evidence fields', () => {
    const doc = toEcs(verdictAudit(verdict, undefined), origin) as Record<string, any>;
    assert.deepEqual(doc.assay.trust, {
      signed: true,
      signers: [KEYLESS_IDENTITY, 'key release'],
      attestations: ['openvex', 'slsa-provenance'],
    });
    assert.deepEqual(doc.rule.category, ['signatures', 'attestations']);
    const [signatures, attestations] = doc.assay.reasons;
    assert.deepEqual(signatures.trust, {
      signer: [`${KEYLESS_IDENTITY} (https://token.actions.githubusercontent.com)`, 'a key signature (key id release)'],
      subject: [image.digest],
      scope: ['image'],
      source: ['referrer', 'cosign-tag'],
      artifact: [sig[0]!.artifact, sig[1]!.artifact],
    });
    assert.deepEqual(attestations.trust.builder_id, [BUILDER_ID]);
    assert.deepEqual(attestations.trust.source_repository, [SOURCE_REPOSITORY]);
    assert.deepEqual(attestations.items, ['slsa-provenance']);
    for (const path of leafPaths(doc)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
    assertNoSecrets(doc);
  });

  it("an admission decision keeps the trust reasons' evidence (only theirs) and each image's trust summary", () => {
    const withVuln = structuredClone(verdict);
    withVuln.reasons.push({
      ...withVuln.reasons[0]!,
      control: 'vulnerabilities',
      message: 'CVE-2024-0001 in openssl',
      evidence: [{ ...withVuln.reasons[0]!.evidence[0]!, item: 'CVE-2024-0001', fields: { fixedVersion: '3.0.16' } }],
      evidenceOmitted: 0,
    });
    const doc = admissionDoc(withVuln);
    assert.equal(doc.assay.admission.allowed, false);
    assert.deepEqual(doc.assay.trust, {
      signed: true,
      signers: [KEYLESS_IDENTITY, 'key release'],
      attestations: ['openvex', 'slsa-provenance'],
    });
    assert.deepEqual(doc.assay.admission.images[0].trust, doc.assay.trust);
    const byControl = new Map<string, any>(doc.assay.reasons.map((r: any) => [r.control, r]));
    assert.deepEqual(byControl.get('signatures').trust.source, ['referrer', 'cosign-tag']);
    assert.deepEqual(byControl.get('attestations').trust.builder_id, [BUILDER_ID]);
    // Another control's evidence stays out of a decision record (counted as omitted).
    assert.equal(byControl.get('vulnerabilities').items, undefined);
    assert.equal(byControl.get('vulnerabilities').evidence_omitted, 1);
    for (const path of leafPaths(doc)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
    assertNoSecrets(doc);
  });

  it('an admission of an unsigned image says so: assay.trust.signed false', () => {
    const section = structuredClone(fixture.section);
    section.signatures = [];
    const unsigned = verdictFromEvaluation({ ...report, trust: section }, { ...evaluation, reasons: [] }, [], new Date());
    const doc = admissionDoc(unsigned);
    assert.equal(doc.assay.trust.signed, false);
    assert.equal(doc.assay.trust.signers, undefined);
  });

  it("a scan event carries the report's trust summary; a trust-only re-verification says so", () => {
    const outcome = {
      digest: image.digest,
      status: 'succeeded' as const,
      reportId: report.reportId,
      scanned: false,
      report,
      trustOnly: true,
    };
    const completed = scanCompletedEvent(image, outcome, 'cause-1');
    const doc = toEcs(scanAuditEvent(completed, outcome), { ...origin, subject: 'assay.audit.scan' }) as Record<string, any>;
    assert.equal(doc.assay.event_type, 'scan');
    assert.equal(doc.assay.scan.trust_only, true);
    assert.deepEqual(doc.assay.trust, {
      signed: true,
      signers: [KEYLESS_IDENTITY, 'key release'],
      attestations: ['openvex', 'slsa-provenance'],
    });
    for (const path of leafPaths(doc)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
    assertNoSecrets(doc);
    // A scan that ran: no trust_only; a report never verified: no assay.trust.
    const ran = { ...outcome, scanned: true, trustOnly: false, report: { ...report, trust: undefined } };
    const plain = toEcs(scanAuditEvent(scanCompletedEvent(image, ran, 'cause-2'), ran), origin) as Record<string, any>;
    assert.equal(plain.assay.scan.trust_only, undefined);
    assert.equal(plain.assay.trust, undefined);
  });
});
