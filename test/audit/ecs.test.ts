// ECS mapping of audit events: the documented shape, and every field a document carries is typed
// by the index template's mapping (so nothing lands unmapped under dynamic: false).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Compliance, PlatformVerdictSchema, VerdictEvidenceSchema } from '@assay/proto';
import { AUDIT_MAPPINGS, indexTemplateBody, templatePattern, toEcs, vulnerabilityIds } from '@assay/audit';
import { flattenMapping } from '../support/elasticsearch-standin/index.ts';
import { admissionEvent, policyEvent, scanEvent, verdictEvent } from './helpers.ts';

/** The verdict change of an index digest: its platforms listed. */
function indexVerdictEvent() {
  const ev = verdictEvent(6);
  if (ev.event.case === 'verdictChange') {
    ev.event.value.platforms = [
      create(PlatformVerdictSchema, {
        platform: { os: 'linux', architecture: 'amd64' },
        digest: 'sha256:' + 'a'.repeat(64),
        compliance: Compliance.COMPLIANT,
      }),
      create(PlatformVerdictSchema, {
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        digest: 'sha256:' + 'b'.repeat(64),
        compliance: Compliance.NON_COMPLIANT,
      }),
    ];
  }
  return ev;
}

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const origin = { subject: 'assay.audit.admission', stream: 'ASSAY_AUDIT', streamSequence: 7, storedAt: new Date('2026-01-01T00:00:00Z') };

function leafPaths(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => leafPaths(d, prefix));
  if (doc && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

describe('ECS mapping', () => {
  const mapped = flattenMapping(AUDIT_MAPPINGS as never);

  it('maps a denied admission', () => {
    const ev = admissionEvent(1, { allowed: false });
    const d = toEcs(ev, origin) as Record<string, any>;
    assert.equal(d['@timestamp'], new Date(Number(ev.meta!.time!.seconds) * 1000 + Math.floor(ev.meta!.time!.nanos / 1e6)).toISOString());
    assert.equal(d.event.id, ev.meta!.id);
    assert.deepEqual(d.event.type, ['denied']);
    assert.equal(d.event.outcome, 'failure');
    assert.equal(d.kubernetes.object.kind, 'Pod');
    assert.deepEqual(d.container.image.hash.all, [ev.event.case === 'admission' ? ev.event.value.images[0]!.image!.digest : '']);
    assert.deepEqual(d.assay.compliance, ['non_compliant']);
    assert.equal(d.assay.admission.allowed, false);
    assert.equal(d.assay.admission.denied_images, 1);
    assert.equal(d.assay.stream_sequence, 7);
  });

  it('maps scans and policy changes', () => {
    const s = toEcs(scanEvent(3), origin) as Record<string, any>;
    assert.equal(s.event.action, 'scan');
    assert.equal(s.assay.scan.vulnerabilities, 3);
    const p = toEcs(policyEvent(4), origin) as Record<string, any>;
    assert.deepEqual(p.event.type, ['change']);
    assert.equal(p.assay.policy.kind, 'image_assurance');
    assert.equal(p.assay.policy.change, 'updated');
    assert.equal(p.user.name, 'alice');
    assert.equal(JSON.parse(p.assay.policy.before).controls.malware.block, false);
    assert.equal(JSON.parse(p.assay.policy.after).controls.malware.block, true);
  });

  it('maps verdict changes', () => {
    const v = toEcs(verdictEvent(5), origin) as Record<string, any>;
    assert.equal(v.event.action, 'verdict-change');
    assert.equal(v.event.outcome, 'failure');
    assert.deepEqual([v.assay.verdict.compliance, v.assay.verdict.previous], ['non_compliant', 'compliant']);
    assert.deepEqual(v.assay.verdict.policies, ['baseline@3']);
    assert.deepEqual(v.vulnerability.id, ['CVE-2024-0001']);
    assert.deepEqual(v.rule.category, ['vulnerabilities']);
  });

  it("maps a reason's remediation, audit-only flag and evidence items (names only, bounded by the verdict)", () => {
    const ev = verdictEvent(6);
    if (ev.event.case === 'verdictChange') {
      const r = ev.event.value.reasons[0]!;
      r.remediation = 'upgrade openssl to 3.0.14';
      r.auditOnly = true;
      r.evidence = [create(VerdictEvidenceSchema, { item: 'CVE-2024-0002', fields: { fixedVersion: '3.0.14' } })];
      r.evidenceOmitted = 7;
    }
    const v = toEcs(ev, origin) as Record<string, any>;
    assert.deepEqual(v.assay.reasons, [
      {
        policy: 'baseline',
        control: 'vulnerabilities',
        message: 'CVE-2024-0001 in openssl, fixed in 3.0.14',
        severity: 'critical',
        remediation: 'upgrade openssl to 3.0.14',
        audit_only: true,
        items: ['CVE-2024-0002'],
        evidence_omitted: 7,
      },
    ]);
    assert.deepEqual(v.vulnerability.id, ['CVE-2024-0001', 'CVE-2024-0002']);
    for (const path of leafPaths(v)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
  });

  it('maps a /mutate pinning as a mutation, not a decision', () => {
    const ev = admissionEvent(7);
    if (ev.event.case === 'admission') {
      ev.event.value.webhook = 'mutate';
      ev.event.value.pinned = ['/spec/containers/0/image'];
    }
    const m = toEcs(ev, origin) as Record<string, any>;
    assert.equal(m.event.action, 'mutation');
    assert.deepEqual(m.event.type, ['change']);
    assert.equal(m.assay.admission.webhook, 'mutate');
    assert.deepEqual(m.assay.admission.pinned, ['/spec/containers/0/image']);
    for (const path of leafPaths(m)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
    const d = toEcs(admissionEvent(8), origin) as Record<string, any>;
    assert.equal(d.event.action, 'admission');
    assert.equal(d.assay.admission.webhook, 'validate');
  });

  it('maps an index verdict with each platform and its compliance', () => {
    const v = toEcs(indexVerdictEvent(), origin) as Record<string, any>;
    assert.deepEqual(v.assay.verdict.platforms, ['linux/amd64=compliant', 'linux/arm64/v8=non_compliant']);
    assert.equal(v.assay.verdict.compliance, 'non_compliant');
    // A single image's verdict has none.
    assert.equal((toEcs(verdictEvent(5), origin) as Record<string, any>).assay.verdict.platforms, undefined);
  });

  it('finds advisory ids in reason messages', () => {
    const ids = vulnerabilityIds([
      { policy: 'p', control: 'vulnerabilities', message: 'CVE-2023-4863 and GHSA-j8xg-fqg3-53r7 in libwebp', severity: 'HIGH' } as never,
    ]);
    assert.deepEqual(ids, ['CVE-2023-4863', 'GHSA-j8xg-fqg3-53r7']);
  });

  it('types every field a document carries', () => {
    for (const ev of [
      admissionEvent(1, { allowed: false }),
      admissionEvent(2, { exceptionId: 'e' }),
      scanEvent(3),
      policyEvent(4),
      verdictEvent(5),
      indexVerdictEvent(),
    ]) {
      for (const path of leafPaths(toEcs(ev, origin))) assert.ok(mapped.has(path), `${path} is not in the mapping`);
    }
  });

  it('documents every mapped leaf field in FIELDS.md', () => {
    const doc = readFileSync(join(root, 'services', 'audit', 'FIELDS.md'), 'utf8');
    for (const [path, type] of mapped) {
      if (type === 'object' || path.endsWith('.text')) continue;
      const last = path.split('.').pop()!;
      const parent = path.split('.').slice(0, -1).join('.');
      assert.ok(doc.includes(`\`${path}\``) || (doc.includes(`\`${parent}.`) && doc.includes(last)), `${path} is not documented`);
    }
  });

  it('template applies to the data stream', () => {
    assert.equal(templatePattern('logs-assay.audit-default'), 'logs-assay.audit-*');
    const t = indexTemplateBody({ dataStream: 'logs-assay.audit-default', template: 't', ilmPolicy: 'assay-audit', retentionDays: 30 });
    assert.equal(t.template.settings['index.lifecycle.name'], 'assay-audit');
  });
});
