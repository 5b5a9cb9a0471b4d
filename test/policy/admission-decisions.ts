// Admission decisions as the webhook makes and publishes them, for the decision-log and console
// tests: an AdmissionReview decided by the review engine against an in-memory snapshot, its audit
// event (auditEventOf), and the admission service's batcher and outbox publishing AuditBatch
// messages on the audit stream.
import type { DescMessage } from '@bufbuild/protobuf';
import { publishEvent, type BusConnection } from '@assay/bus';
import { AuditBatcher, auditEventOf, eventsIn, Outbox, type OutboundEvent } from '@assay/admission';
import { Compliance, type AuditEvent } from '@assay/proto';
import { reviewAdmission } from '@assay/review-engine';
import { canonical, digestFor, memorySnapshot, runtimePolicy, verdict } from '../admission/helpers.ts';

export interface DecisionInput {
  namespace?: string;
  name: string;
  image?: string;
  compliance?: Compliance;
  /** The runtime policy's enforcement: enforce refuses a non-compliant image, warn lets it in with a warning. */
  enforcement?: 'enforce' | 'warn';
  reason?: string;
  user?: string;
  dryRun?: boolean;
}

let uid = 0;

/** The audit event of one Pod's admission review. */
export function admissionEvent(o: DecisionInput): AuditEvent {
  const image = o.image ?? 'registry.example.com/team-a/api:1.0';
  const digest = digestFor(image);
  const compliance = o.compliance ?? Compliance.COMPLIANT;
  const reasons =
    compliance === Compliance.NON_COMPLIANT
      ? [{ policy: 'baseline', control: 'vulnerabilities', message: o.reason ?? '1 critical vulnerability: CVE-2026-0001 in openssl' }]
      : [];
  const snapshot = memorySnapshot({
    policies: [runtimePolicy('prod', { enforcement: o.enforcement ?? 'enforce' })],
    tags: new Map([[canonical(image), digest]]),
    verdicts: new Map([[digest, verdict(compliance, reasons)]]),
  });
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${++uid}`,
      operation: 'CREATE',
      namespace: o.namespace ?? 'shop',
      name: o.name,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      userInfo: { username: o.user ?? 'ci-bot' },
      dryRun: o.dryRun ?? false,
      object: { metadata: { name: o.name }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
  return auditEventOf(reviewAdmission(review, snapshot).outcome, 'admission');
}

const quiet = { warn() {}, error() {}, info() {} };

/** The admission service's way out: events batched (AuditBatch), published in order through its outbox. */
export function admissionAudit(bus: Pick<BusConnection, 'js' | 'isConnected'>, maxEvents = 100) {
  const outbox = new Outbox<OutboundEvent>({
    capacity: 100_000,
    concurrency: 1,
    isConnected: () => bus.isConnected(),
    // As admission's publisher does: each kind pairs its topic with its own message type.
    publish: async (e) => {
      await publishEvent<DescMessage>(bus.js, e.topic, e.message);
    },
    weight: eventsIn,
    logger: quiet,
  });
  const batcher = new AuditBatcher({ outbox, producer: 'admission', maxEvents, lingerMs: 60_000 });
  return {
    /** Publishes `events` in batches of up to `maxEvents`; resolves once the stream has them all. */
    async publish(events: AuditEvent[]): Promise<void> {
      for (const e of events) batcher.add(e);
      batcher.flush();
      await outbox.idle();
    },
  };
}
