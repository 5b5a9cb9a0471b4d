// AuditEvent → Elastic Common Schema document. The field list, with meanings, is in FIELDS.md
// beside this file; the index template mapping (es-resources.ts) types every field named here.
import type { DescEnum } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  type AuditEvent,
  ChangeTypeSchema,
  Compliance,
  ComplianceSchema,
  type ImageRef,
  PolicyKindSchema,
  type TrustSummary,
  type UserInfo,
  type VerdictReason,
} from '@assay/proto';

/** ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';
export const EVENT_DATASET = 'assay.audit';

export type EcsDocument = Record<string, unknown>;

/** Where the event came from on the bus, for fields the event itself does not carry. */
export interface EventOrigin {
  subject: string;
  stream: string;
  streamSequence: number;
  /** When the stream stored the message (fallback for a missing meta.time). */
  storedAt: Date;
}

/** `COMPLIANCE_NON_COMPLIANT` → `non_compliant`: the value name without the enum's shared prefix. */
function enumWord(schema: DescEnum, n: number): string {
  const v = schema.values.find((x) => x.number === n);
  if (!v) return String(n);
  const names = schema.values.map((x) => x.name);
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  prefix = prefix.slice(0, prefix.lastIndexOf('_') + 1);
  return v.name.slice(prefix.length).toLowerCase();
}

const VULN_ID =
  /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|OSV-\d{4}-\d+|DSA-\d+-\d+|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+|GO-\d{4}-\d+)\b/g;

/** Advisory ids (CVE, GHSA, OSV, …) mentioned in reason messages or named by their evidence items. */
export function vulnerabilityIds(reasons: readonly VerdictReason[]): string[] {
  const ids = new Set<string>();
  for (const r of reasons) {
    for (const m of r.message.matchAll(VULN_ID)) ids.add(m[1]!);
    for (const e of r.evidence ?? []) for (const m of e.item.matchAll(VULN_ID)) ids.add(m[1]!);
  }
  return [...ids];
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs.filter((x) => x !== '' && x !== undefined && x !== null))];
}

/** Drops undefined, empty strings and empty arrays/objects, so documents carry only what is known. */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(compact).filter((x) => x !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const c = compact(x);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (v === '' || v === undefined) return undefined;
  return v;
}

function imageName(i: ImageRef | undefined): string {
  if (!i || !i.repository) return '';
  return i.registry ? `${i.registry}/${i.repository}` : i.repository;
}

function platformName(p: ImageRef['platform']): string {
  if (!p || !p.os) return '';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function platformOf(i: ImageRef | undefined): string {
  return platformName(i?.platform);
}

function userFields(u: UserInfo | undefined) {
  if (!u) return undefined;
  return { name: u.username, id: u.uid, group: { name: u.groups } };
}

/** Trust controls: their evidence fields are indexed (who signed, what, found where). */
const TRUST_CONTROLS = new Set(['signatures', 'attestations']);
/** Evidence field (as the controls name it) → document field under `assay.reasons.trust`. */
const TRUST_EVIDENCE_FIELDS: Readonly<Record<string, string>> = {
  signer: 'signer',
  subject: 'subject',
  scope: 'scope',
  source: 'source',
  artifact: 'artifact',
  builderId: 'builder_id',
  sourceRepository: 'source_repository',
};

function trustEvidence(r: VerdictReason) {
  if (!TRUST_CONTROLS.has(r.control)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [from, to] of Object.entries(TRUST_EVIDENCE_FIELDS)) out[to] = uniq((r.evidence ?? []).map((e) => e.fields[from] ?? ''));
  return out;
}

// A reason's evidence comes as item names (vulnerability ids, rules, packages…): the verdict
// bounds how many, and their fields stay in the verdict, except a trust reason's (signer,
// subject, scope, source, artifact, builder, source repository), which dashboards search by.
function reasonsOf(rs: readonly VerdictReason[]) {
  return rs.map((r) => ({
    policy: r.policy,
    control: r.control,
    message: r.message,
    severity: r.severity,
    remediation: r.remediation,
    ...(r.auditOnly ? { audit_only: true } : {}),
    items: uniq((r.evidence ?? []).map((e) => e.item)),
    trust: trustEvidence(r),
    evidence_omitted: r.evidenceOmitted || undefined,
  }));
}

/**
 * `assay.trust` of a document from the trust summaries of its images' verdicts: signed only when
 * every image that has one is signed (one unsigned image in a Pod is what a query for unsigned
 * admissions must find); signers and attestation kinds over all of them. Absent when none has one.
 */
function trustOf(summaries: readonly (TrustSummary | undefined)[]) {
  const known = summaries.filter((t): t is TrustSummary => t !== undefined);
  if (known.length === 0) return undefined;
  return {
    signed: known.every((t) => t.signed),
    signers: uniq(known.flatMap((t) => t.signers)),
    attestations: uniq(known.flatMap((t) => t.attestationKinds)),
  };
}

/** Maps one audit event to its ECS document (without `_id`; that is `event.id`). */
export function toEcs(ev: AuditEvent, origin: EventOrigin): EcsDocument {
  const meta = ev.meta;
  const at = meta?.time ? timestampDate(meta.time) : origin.storedAt;
  const base = {
    '@timestamp': at.toISOString(),
    ecs: { version: ECS_VERSION },
    event: {
      id: meta?.id,
      kind: 'event',
      module: 'assay',
      dataset: EVENT_DATASET,
      provider: meta?.producer,
    } as Record<string, unknown>,
    assay: {
      causation_id: meta?.causationId,
      subject: origin.subject,
      stream_sequence: origin.streamSequence,
    } as Record<string, unknown>,
  };
  let doc: Record<string, unknown> = base;
  switch (ev.event.case) {
    case 'admission': {
      const a = ev.event.value;
      const images = a.images;
      const reasons = images.flatMap((i) => i.reasons);
      // Events from before exception_ids existed carry the ids joined in exception_id.
      const exceptionIds = a.exceptionIds.length > 0 ? a.exceptionIds : a.exceptionId.split(',').filter(Boolean);
      const breakGlass = exceptionIds.length > 0;
      doc = {
        ...base,
        // A /mutate pinning is its own action, so dashboards of decisions do not count it.
        event: {
          ...base.event,
          action: a.webhook === 'mutate' ? 'mutation' : 'admission',
          category: ['configuration'],
          type: a.webhook === 'mutate' ? ['change'] : [a.allowed ? 'allowed' : 'denied'],
          outcome: a.allowed ? 'success' : 'failure',
          reason: a.message,
        },
        kubernetes: {
          namespace: a.namespace,
          object: { kind: a.kind, name: a.name },
          operation: a.operation,
          sub_resource: a.subResource,
          admission: { uid: a.uid, dry_run: a.dryRun },
        },
        user: userFields(a.user),
        container: {
          image: {
            name: uniq(images.map((i) => imageName(i.image) || i.reference)),
            tag: uniq(images.map((i) => i.image?.tag ?? '')),
            hash: { all: uniq(images.map((i) => i.image?.digest ?? '')) },
          },
        },
        rule: {
          name: uniq(reasons.map((r) => r.policy)),
          category: uniq(reasons.map((r) => r.control)),
          ruleset: a.runtimePolicy,
        },
        vulnerability: { id: vulnerabilityIds(reasons), severity: uniq(reasons.map((r) => r.severity.toLowerCase())) },
        assay: {
          ...base.assay,
          event_type: 'admission',
          compliance: uniq(images.map((i) => enumWord(ComplianceSchema, i.compliance))),
          reasons: reasonsOf(reasons),
          trust: trustOf(images.map((i) => i.trust)),
          admission: {
            webhook: a.webhook || 'validate',
            pinned: a.pinned,
            allowed: a.allowed,
            mode: a.mode,
            runtime_policy: a.runtimePolicy,
            exception_id: exceptionIds,
            break_glass: breakGlass,
            exemptions: a.exemptions,
            warnings: a.warnings,
            denied_images: images.filter((i) => !i.allowed).length,
            // A runtime policy's grace let a non-compliant image re-create a running workload.
            grace: images.some((i) => i.graceUntil !== undefined),
            // Decided while admission's mirrors were not current (NATS unreachable, re-syncing).
            stale: a.decidedOnStaleState,
            stale_seconds: a.staleSeconds,
            images: images.map((i) => ({
              reference: i.reference,
              path: i.path,
              name: imageName(i.image),
              digest: i.image?.digest,
              platform: platformOf(i.image),
              compliance: enumWord(ComplianceSchema, i.compliance),
              allowed: i.allowed,
              exception_id: i.exceptionId || undefined,
              exemption: i.exemption || undefined,
              exemption_pattern: i.exemptionPattern || undefined,
              grace_until: i.graceUntil ? timestampDate(i.graceUntil).toISOString() : undefined,
              grace_workload: i.graceWorkload || undefined,
              trust: trustOf([i.trust]),
            })),
          },
        },
      };
      break;
    }
    case 'scan': {
      const s = ev.event.value;
      const failed = s.error !== '' || /fail|error/i.test(s.status);
      doc = {
        ...base,
        event: {
          ...base.event,
          action: 'scan',
          category: ['package', 'vulnerability'],
          type: ['info'],
          outcome: failed ? 'failure' : 'success',
          reason: s.error,
        },
        container: {
          image: {
            name: uniq([imageName(s.image)]),
            tag: uniq([s.image?.tag ?? '']),
            hash: { all: uniq([s.image?.digest ?? '']) },
          },
        },
        assay: {
          ...base.assay,
          event_type: 'scan',
          scan: {
            status: s.status,
            report_id: s.reportId,
            error: s.error,
            vulnerabilities: s.vulnerabilities,
            sensitive_findings: s.sensitiveFindings,
            malware_findings: s.malwareFindings,
            platform: platformOf(s.image),
            trust_only: s.trustOnly || undefined,
          },
          trust: trustOf([s.trust]),
        },
      };
      break;
    }
    case 'policyChange': {
      const p = ev.event.value;
      const change = enumWord(ChangeTypeSchema, p.change);
      doc = {
        ...base,
        event: {
          ...base.event,
          action: 'policy-change',
          category: ['configuration'],
          type: [change === 'created' ? 'creation' : change === 'deleted' ? 'deletion' : 'change'],
          outcome: 'success',
        },
        user: userFields(p.user),
        rule: { id: p.policyId, version: String(p.version) },
        assay: {
          ...base.assay,
          event_type: 'policy_change',
          policy: {
            kind: enumWord(PolicyKindSchema, p.kind),
            id: p.policyId,
            version: p.version,
            change,
            // Kept, not indexed: the documents as they were and are (policies hold no secrets).
            before: p.beforeJson,
            after: p.afterJson,
          },
        },
      };
      break;
    }
    case 'verdictChange': {
      const v = ev.event.value;
      const compliance = enumWord(ComplianceSchema, v.compliance);
      doc = {
        ...base,
        event: {
          ...base.event,
          action: 'verdict-change',
          category: ['configuration'],
          type: ['change'],
          outcome: v.compliance === Compliance.COMPLIANT ? 'success' : 'failure',
        },
        container: {
          image: {
            name: uniq([imageName(v.image)]),
            tag: uniq([v.image?.tag ?? '']),
            hash: { all: uniq([v.image?.digest ?? '']) },
          },
        },
        rule: { name: uniq(v.reasons.map((r) => r.policy)), category: uniq(v.reasons.map((r) => r.control)) },
        vulnerability: { id: vulnerabilityIds(v.reasons), severity: uniq(v.reasons.map((r) => r.severity.toLowerCase())) },
        assay: {
          ...base.assay,
          event_type: 'verdict_change',
          compliance: [compliance],
          reasons: reasonsOf(v.reasons),
          trust: trustOf([v.trust]),
          verdict: {
            compliance,
            previous: enumWord(ComplianceSchema, v.previous),
            report_id: v.reportId,
            vuln_db_version: v.vulnDbVersion,
            policies: v.policies.map((p) => `${p.id}@${p.version}`),
            platform: platformOf(v.image),
            // An index: each platform manifest with its compliance, `linux/arm64=non_compliant`.
            platforms: v.platforms.map((p) => `${platformName(p.platform)}=${enumWord(ComplianceSchema, p.compliance)}`),
            // Findings a VEX statement excused: what, by which statement, of which document or signer.
            suppressed: v.suppressed.map((x) => ({
              policy: x.policy,
              control: x.control,
              item: x.item,
              by: x.by,
              status: x.status,
              ...(x.justification ? { justification: x.justification } : {}),
              ...(x.document ? { document: x.document, statement: x.statement } : {}),
              ...(x.signer ? { signer: x.signer, attestation: x.attestation } : {}),
            })),
          },
        },
      };
      break;
    }
    case 'runningNonCompliant': {
      const r = ev.event.value;
      doc = {
        ...base,
        event: { ...base.event, action: 'running-noncompliant', category: ['configuration'], type: ['info'], outcome: 'failure' },
        kubernetes: { namespace: r.namespace, object: { kind: r.workloadKind, name: r.workloadName } },
        container: {
          image: { name: uniq([imageName(r.image)]), tag: uniq([r.image?.tag ?? '']), hash: { all: uniq([r.image?.digest ?? '']) } },
        },
        rule: { name: uniq(r.reasons.map((x) => x.policy)), category: uniq(r.reasons.map((x) => x.control)) },
        vulnerability: { severity: uniq(r.reasons.map((x) => x.severity.toLowerCase())) },
        assay: {
          ...base.assay,
          event_type: 'running_noncompliant',
          compliance: [enumWord(ComplianceSchema, r.compliance)],
          reasons: reasonsOf(r.reasons),
          running: { pods: r.pods, previous: enumWord(ComplianceSchema, r.previous), report_id: r.reportId },
        },
      };
      break;
    }
    default:
      doc = { ...base, event: { ...base.event, action: 'unknown' }, assay: { ...base.assay, event_type: 'unknown' } };
  }
  // `false` and 0 are kept (compact drops only empty values).
  return compact(doc) as EcsDocument;
}
