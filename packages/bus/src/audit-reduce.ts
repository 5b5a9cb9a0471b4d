// An audit event must fit in one NATS message (the server's max_payload, 1 MiB by default): a
// publish over it is refused every time, so a publisher retrying it would retry it forever and
// lose it at shutdown. An event too large is reduced here instead, in steps that keep the most
// useful part: first its reasons' evidence is trimmed (what is dropped is counted in each
// reason's evidence_omitted, as verdicts already do), then long texts are cut (each cut says how
// many bytes it dropped) and long lists shortened (how many items were left out is written
// into the record: the decision's message, or a reason of its own). The event keeps its id, so
// Elasticsearch still indexes it once.
import { clone, create, toBinary } from '@bufbuild/protobuf';
import {
  type AuditEvent,
  AuditEventSchema,
  type VerdictEvidence,
  VerdictEvidenceSchema,
  type VerdictReason,
  VerdictReasonSchema,
} from '@assay/proto';

/** The control of the reason a reduced verdict record gains, saying what was left out. */
export const REDUCED_RECORD_CONTROL = 'audit-record-reduced';

interface Caps {
  /** Evidence kept per reason. */
  evidence: number;
  /** Bytes kept of a long text. */
  text: number;
  /** Items kept of a long list (images, reasons, platforms, suppressions, warnings). */
  list: number;
}

const ALL = Number.POSITIVE_INFINITY;

// Mildest first: most oversized events are a few reasons with thousands of findings each, and
// trimming evidence alone brings them back under the limit with everything else intact.
const STEPS: readonly Caps[] = [
  { evidence: 100, text: ALL, list: ALL },
  { evidence: 10, text: ALL, list: ALL },
  { evidence: 1, text: ALL, list: ALL },
  { evidence: 0, text: 16_384, list: ALL },
  { evidence: 0, text: 4096, list: 500 },
  { evidence: 0, text: 1024, list: 100 },
  { evidence: 0, text: 256, list: 20 },
  { evidence: 0, text: 128, list: 1 },
  { evidence: 0, text: 64, list: 0 },
];

/** How a reduced event differs from the original: counts of what was left out. */
export interface Reduction {
  /** Evidence records dropped across all reasons. */
  evidence: number;
  /** Texts cut short. */
  texts: number;
  /** Items dropped from lists, by list. */
  items: Record<string, number>;
}

export interface ReducedEvent {
  event: AuditEvent;
  /** Encoded size of `event`. */
  bytes: number;
  /** Undefined when the event fitted as it was. */
  reduction?: Reduction;
}

/** The event itself when its encoding is at most `maxBytes`, otherwise a reduced copy that fits. */
export function reduceAuditEvent(event: AuditEvent, maxBytes: number): ReducedEvent {
  const bytes = toBinary(AuditEventSchema, event).length;
  if (bytes <= maxBytes) return { event, bytes };
  for (const caps of STEPS) {
    const reduction: Reduction = { evidence: 0, texts: 0, items: {} };
    const reduced = applyCaps(clone(AuditEventSchema, event), caps, reduction);
    const size = toBinary(AuditEventSchema, reduced).length;
    if (size <= maxBytes) return { event: reduced, bytes: size, reduction };
  }
  throw new Error(`audit event ${event.meta?.id ?? ''} cannot be reduced to ${maxBytes} bytes (the server's max_payload is too small)`);
}

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function capText(s: string, max: number, r: Reduction): string {
  if (max === ALL || s.length <= max) return s;
  const total = utf8Bytes(s);
  if (total <= max) return s;
  const kept = s.slice(0, max);
  r.texts++;
  return `${kept}… [truncated: ${total - utf8Bytes(kept)} bytes omitted]`;
}

function capList<T>(list: T[], max: number, name: string, r: Reduction): T[] {
  if (list.length <= max) return list;
  r.items[name] = (r.items[name] ?? 0) + list.length - max;
  return list.slice(0, max);
}

function capEvidence(e: VerdictEvidence, caps: Caps, r: Reduction): VerdictEvidence {
  if (caps.text === ALL) return e;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.fields)) fields[k] = capText(v, caps.text, r);
  return create(VerdictEvidenceSchema, { item: capText(e.item, caps.text, r), fields });
}

function capReason(reason: VerdictReason, caps: Caps, r: Reduction): VerdictReason {
  const keep = Math.min(reason.evidence.length, caps.evidence);
  r.evidence += reason.evidence.length - keep;
  return create(VerdictReasonSchema, {
    ...reason,
    message: capText(reason.message, caps.text, r),
    remediation: capText(reason.remediation, caps.text, r),
    evidence: reason.evidence.slice(0, keep).map((e) => capEvidence(e, caps, r)),
    evidenceOmitted: reason.evidenceOmitted + reason.evidence.length - keep,
  });
}

function capReasons(reasons: VerdictReason[], caps: Caps, r: Reduction): VerdictReason[] {
  return capList(reasons, caps.list, 'reasons', r).map((x) => capReason(x, caps, r));
}

/** "3 images, 12 reasons": the items left out, for the record to say so. */
function describeOmitted(r: Reduction): string {
  return Object.entries(r.items)
    .map(([name, n]) => `${n} ${name}`)
    .join(', ');
}

/** A reason that says what a reduced verdict record left out (audit-only: it judges nothing). */
function reducedReason(r: Reduction): VerdictReason {
  return create(VerdictReasonSchema, {
    control: REDUCED_RECORD_CONTROL,
    auditOnly: true,
    message: `audit record reduced to fit a message: ${describeOmitted(r)} omitted`,
  });
}

function applyCaps(ev: AuditEvent, caps: Caps, r: Reduction): AuditEvent {
  const e = ev.event;
  switch (e.case) {
    case 'admission': {
      const d = e.value;
      d.name = capText(d.name, caps.text, r);
      d.warnings = capList(d.warnings, caps.list, 'warnings', r).map((w) => capText(w, caps.text, r));
      d.exemptions = capList(d.exemptions, caps.list, 'exemptions', r).map((w) => capText(w, caps.text, r));
      d.pinned = capList(d.pinned, caps.list, 'pinned fields', r);
      if (d.user) d.user.groups = capList(d.user.groups, caps.list, 'user groups', r);
      d.images = capList(d.images, Math.max(caps.list, 1), 'images', r);
      for (const i of d.images) {
        i.reference = capText(i.reference, caps.text, r);
        i.path = capText(i.path, caps.text, r);
        i.reasons = capReasons(i.reasons, caps, r);
        if (i.trust) {
          i.trust.signers = capList(i.trust.signers, caps.list, 'signers', r);
          i.trust.attestationKinds = capList(i.trust.attestationKinds, caps.list, 'attestation kinds', r);
        }
      }
      d.message = capText(d.message, caps.text, r);
      // Said in the decision itself, so whoever reads the record knows it is not whole.
      if (Object.keys(r.items).length > 0) d.message += ` [audit record reduced to fit a message: ${describeOmitted(r)} omitted]`;
      break;
    }
    case 'verdictChange': {
      const v = e.value;
      v.reasons = capReasons(v.reasons, caps, r);
      v.platforms = capList(v.platforms, caps.list, 'platforms', r);
      for (const p of v.platforms) p.reasons = capReasons(p.reasons, caps, r);
      v.policies = capList(v.policies, Math.max(caps.list, 1), 'policies', r);
      v.suppressed = capList(v.suppressed, caps.list, 'suppressions', r);
      for (const s of v.suppressed) {
        s.detail = capText(s.detail, caps.text, r);
        s.justification = capText(s.justification, caps.text, r);
        s.statement = capText(s.statement, caps.text, r);
        s.document = capText(s.document, caps.text, r);
      }
      if (v.trust) {
        v.trust.signers = capList(v.trust.signers, caps.list, 'signers', r);
        v.trust.attestationKinds = capList(v.trust.attestationKinds, caps.list, 'attestation kinds', r);
      }
      if (Object.keys(r.items).length > 0) v.reasons.push(reducedReason(r));
      break;
    }
    case 'runningNonCompliant': {
      const x = e.value;
      x.workloadName = capText(x.workloadName, caps.text, r);
      x.reasons = capReasons(x.reasons, caps, r);
      if (Object.keys(r.items).length > 0) x.reasons.push(reducedReason(r));
      break;
    }
    case 'policyChange': {
      const p = e.value;
      // The documents as JSON text: cut, they are no longer JSON, and the marker says so.
      p.beforeJson = capText(p.beforeJson, caps.text, r);
      p.afterJson = capText(p.afterJson, caps.text, r);
      if (p.user) p.user.groups = capList(p.user.groups, caps.list, 'user groups', r);
      break;
    }
    case 'scan': {
      const s = e.value;
      s.error = capText(s.error, caps.text, r);
      if (s.trust) {
        s.trust.signers = capList(s.trust.signers, caps.list, 'signers', r);
        s.trust.attestationKinds = capList(s.trust.attestationKinds, caps.list, 'attestation kinds', r);
      }
      break;
    }
    default:
      break;
  }
  return ev;
}
