// The aggregate verdict of an image index: non-compliant if any platform is, pending until every
// platform is judged (admission narrows it to the platforms its runtime policy names). No I/O: the
// policy service recomputes and writes it when a platform verdict changes.
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { newEventMeta } from '@assay/proto';
import { ImageRefSchema, PlatformVerdictSchema, VerdictSchema, Compliance, type ImageDiscovered, type Verdict } from '@assay/proto';
import { aggregateCompliance, platformReasons } from '@assay/runtime-policy';
import { aggregateTrust } from './trust-summary.ts';
import { boundEvidence, MAX_EVIDENCE_PER_VERDICT, PRODUCER } from './verdict.ts';

/**
 * The aggregate verdict of `index` over its platforms' current verdicts. Each platform keeps its
 * reasons with their evidence (one budget for all of them, so the aggregate stays as bounded as
 * one verdict); the aggregate's own reasons, the same prefixed with their platform, carry
 * remediation and audit_only but count their evidence as omitted (it is in `platforms`). Its
 * scan time is the latest of its platforms'; its trust summary is over the platforms it has.
 */
export function indexVerdict(index: ImageDiscovered, platforms: ReadonlyMap<string, Verdict>, now: Date, causationId?: string): Verdict {
  const image = index.image;
  let budget = MAX_EVIDENCE_PER_VERDICT;
  const list = index.manifests.map((m) => {
    const v = platforms.get(m.digest);
    const reasons = boundEvidence(v?.reasons ?? [], budget);
    for (const r of reasons) budget -= r.evidence.length;
    return create(PlatformVerdictSchema, {
      ...(m.platform ? { platform: m.platform } : {}),
      digest: m.digest,
      compliance: v?.compliance ?? Compliance.PENDING,
      reasons,
    });
  });
  let scannedAt: Verdict['scannedAt'];
  for (const v of platforms.values()) {
    if (v.scannedAt && (!scannedAt || timestampDate(v.scannedAt) > timestampDate(scannedAt))) scannedAt = v.scannedAt;
  }
  const policies = new Map<string, number>();
  for (const v of platforms.values()) for (const p of v.policies) policies.set(p.id, Math.max(p.version, policies.get(p.id) ?? 0));
  const dbs = [...new Set([...platforms.values()].map((v) => v.vulnDbVersion).filter(Boolean))].sort();
  const trust = aggregateTrust(index.manifests.map((m) => ({ trust: platforms.get(m.digest)?.trust })));
  return create(VerdictSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    image: create(ImageRefSchema, {
      registry: image?.registry ?? '',
      repository: image?.repository ?? '',
      tag: image?.tag ?? '',
      digest: image?.digest ?? '',
      mediaType: image?.mediaType ?? '',
    }),
    compliance: aggregateCompliance(list),
    reasons: platformReasons(list).map((r) => ({ ...r, evidence: [], evidenceOmitted: r.evidenceOmitted + r.evidence.length })),
    policies: [...policies].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, version]) => ({ id, version })),
    vulnDbVersion: dbs.join(','),
    evaluatedAt: timestampFromDate(now),
    reportId: '',
    platforms: list,
    ...(scannedAt ? { scannedAt } : {}),
    ...(trust ? { trust } : {}),
  });
}
