// The audit record of one decision: an AuditEvent carrying the AdmissionDecision, with every
// image as written, normalised and pinned, where it was found, and why it was (not) allowed.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { newEventMeta } from '@assay/bus';
import {
  AuditEventSchema,
  Compliance,
  ImageRefSchema,
  VerdictReasonSchema,
  type AuditEvent,
  type ImageRef,
  type VerdictReason,
} from '@assay/proto';
import type { ImageReference } from '@assay/image-ref';
import type { RequestOutcome } from '@assay/review-engine';

export function imageRefOf(ref: ImageReference | undefined, digest: string | undefined): ImageRef {
  return create(ImageRefSchema, {
    registry: ref?.registry ?? '',
    repository: ref?.repository ?? '',
    tag: ref?.tag ?? '',
    digest: digest ?? '',
  });
}

/** Controls whose evidence a decision record keeps: a few signature/attestation records, each naming its signer. */
const KEPT_EVIDENCE_CONTROLS = new Set(['signatures', 'attestations']);
const MAX_KEPT_EVIDENCE = 10;

/**
 * A verdict reason as a decision records it: without its evidence (counted as omitted), so the
 * record stays small and the verdict-change record and the verdict itself carry the findings;
 * except a trust reason's first few, which say who signed what an admission let in or refused.
 */
function decisionReason(r: VerdictReason): VerdictReason {
  const keep = KEPT_EVIDENCE_CONTROLS.has(r.control) ? Math.min(r.evidence.length, MAX_KEPT_EVIDENCE) : 0;
  return create(VerdictReasonSchema, {
    ...r,
    evidence: r.evidence.slice(0, keep),
    evidenceOmitted: r.evidenceOmitted + r.evidence.length - keep,
  });
}

export interface AuditContext {
  /** /mutate: the image fields it pinned (the event is then a pinning, not a decision). */
  pinned?: readonly string[];
  /** Decided on stale state: seconds the mirrors had not been current; undefined when they were. */
  staleSeconds?: number | undefined;
}

/** The audit event of a decision (/validate) or of a pinning (/mutate, with the fields it pinned). */
export function auditEventOf(outcome: RequestOutcome, producer: string, context: AuditContext = {}): AuditEvent {
  const r = outcome.request;
  const mutate = context.pinned;
  const staleSeconds = context.staleSeconds;
  // One reason per distinct text, shared by the images it explains (thousands, in the worst review).
  const lookupReasons = new Map<string, VerdictReason>();
  const lookupReason = (why: string): VerdictReason => {
    let reason = lookupReasons.get(why);
    if (!reason) {
      reason = create(VerdictReasonSchema, { policy: outcome.runtimePolicy, control: 'tag-lookup', message: why });
      lookupReasons.set(why, reason);
    }
    return reason;
  };
  return create(AuditEventSchema, {
    meta: newEventMeta(producer),
    event: {
      case: 'admission',
      value: {
        uid: r.uid,
        namespace: r.namespace,
        kind: r.kind.kind,
        name: r.name || ((r.object?.metadata as { generateName?: string } | undefined)?.generateName ?? ''),
        operation: r.operation,
        subResource: r.subResource,
        user: { username: r.userInfo.username, uid: r.userInfo.uid, groups: r.userInfo.groups },
        allowed: outcome.allowed,
        mode: outcome.mode,
        runtimePolicy: outcome.runtimePolicy,
        images: outcome.images.map((i) => ({
          reference: i.field.reference,
          image: imageRefOf(i.ref, i.digest),
          path: i.field.path,
          compliance: i.verdict?.compliance ?? Compliance.UNSPECIFIED,
          allowed: i.allowed,
          // An image whose tag got no digest in time has no verdict: the reason is the lookup.
          reasons: i.unresolved ? [lookupReason(i.unresolved)] : (i.verdict?.reasons ?? []).map(decisionReason),
          ...(i.verdict?.trust ? { trust: i.verdict.trust } : {}),
          exceptionId: i.admittedBy?.kind === 'break-glass' ? i.admittedBy.exceptionId : '',
          exemption: i.admittedBy?.kind === 'exemption' ? i.admittedBy.exemption.kind : '',
          exemptionPattern: i.admittedBy?.kind === 'exemption' ? i.admittedBy.exemption.pattern : '',
          ...(i.decision?.grace
            ? {
                graceUntil: timestampFromDate(i.decision.grace.until),
                graceWorkload: `${i.decision.grace.workload.kind}/${i.decision.grace.workload.name}`,
              }
            : {}),
        })),
        message: outcome.message,
        dryRun: r.dryRun,
        exceptionId: outcome.exceptionId,
        exceptionIds: outcome.exceptionIds,
        exemptions: outcome.exemptions,
        warnings: outcome.warnings,
        webhook: mutate ? 'mutate' : 'validate',
        pinned: mutate ? [...mutate] : [],
        decidedOnStaleState: staleSeconds !== undefined,
        staleSeconds: staleSeconds ?? 0,
      },
    },
  });
}
