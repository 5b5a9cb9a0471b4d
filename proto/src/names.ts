// The one place that names every subject, stream, durable consumer and KV bucket on the bus,
// and binds each subject to the protobuf message it carries.
import type { DescMessage } from '@bufbuild/protobuf';
import { AuditBatchSchema, AuditEventSchema, DeadLetterSchema } from '../gen/assay/v1/audit_pb.js';
import { ImageDiscoveredSchema } from '../gen/assay/v1/image_pb.js';
import { PolicyChangedSchema, VerdictSchema, VulnDbUpdatedSchema } from '../gen/assay/v1/policy_pb.js';
import { ScanCompletedSchema, ScanProgressSchema, ScanRequestedSchema } from '../gen/assay/v1/scan_pb.js';

/** A subject together with the message type it carries. */
export interface Topic<S extends DescMessage = DescMessage> {
  readonly subject: string;
  readonly schema: S;
}

function topic<S extends DescMessage>(subject: string, schema: S): Topic<S> {
  return { subject, schema };
}

export const Topics = {
  imageDiscovered: topic('assay.image.discovered', ImageDiscoveredSchema),
  /** An image index and its platform manifests (`image` is the index, `manifests` its platforms). */
  indexDiscovered: topic('assay.image.index', ImageDiscoveredSchema),
  scanRequested: topic('assay.scan.requested', ScanRequestedSchema),
  scanCompleted: topic('assay.scan.completed', ScanCompletedSchema),
  verdictChanged: topic('assay.verdict.changed', VerdictSchema),
  policyChanged: topic('assay.policy.changed', PolicyChangedSchema),
  vulnDbUpdated: topic('assay.vulndb.updated', VulnDbUpdatedSchema),
  auditAdmission: topic('assay.audit.admission', AuditEventSchema),
  /** Admission decisions, batched (AuditBatch): what the webhook publishes. */
  auditAdmissionBatch: topic('assay.audit.admission.batch', AuditBatchSchema),
  auditScan: topic('assay.audit.scan', AuditEventSchema),
  auditPolicy: topic('assay.audit.policy', AuditEventSchema),
} as const;

/**
 * `ScanRequested.reason` of a request to verify a digest's signatures and attestations again
 * (a signature, attestation or referrer was pushed after the image): the registry-watcher asks,
 * the scanner re-runs trust discovery and verification for that digest only.
 */
export const TRUST_REFRESH_REASON = 'signature';

/** Core NATS (not stored): progress of a running scan, one subject per digest. */
export const ScanProgressTopic = {
  prefix: 'assay.progress.scan',
  schema: ScanProgressSchema,
  /** `assay.progress.scan.sha256.<hex>`: the digest's colon is not a subject token character we want. */
  forDigest(digest: string): Topic<typeof ScanProgressSchema> {
    return { subject: `assay.progress.scan.${digest.replace(':', '.')}`, schema: ScanProgressSchema };
  },
} as const;

/** Subject a dead-lettered message of `stream` is kept under. */
export function deadLetterTopic(stream: string): Topic<typeof DeadLetterSchema> {
  return { subject: `assay.deadletter.${stream}`, schema: DeadLetterSchema };
}

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Maximum age of a message, in seconds; 0 keeps messages until limits say otherwise. */
  readonly maxAgeSeconds: number;
  readonly description: string;
}

export const Streams = {
  images: {
    name: 'ASSAY_IMAGES',
    subjects: ['assay.image.>'],
    maxAgeSeconds: 7 * 24 * 3600,
    description: 'Images discovered in watched registries',
  },
  scans: {
    name: 'ASSAY_SCANS',
    subjects: ['assay.scan.requested', 'assay.scan.completed'],
    maxAgeSeconds: 7 * 24 * 3600,
    description: 'Scan requests and results',
  },
  policy: {
    name: 'ASSAY_POLICY',
    subjects: ['assay.policy.>', 'assay.vulndb.>', 'assay.verdict.>'],
    maxAgeSeconds: 30 * 24 * 3600,
    description: 'Policy changes, vulnerability database updates and verdict changes',
  },
  audit: {
    name: 'ASSAY_AUDIT',
    subjects: ['assay.audit.>'],
    maxAgeSeconds: 14 * 24 * 3600,
    description: 'Audit events awaiting delivery to Elasticsearch and other sinks',
  },
  deadLetter: {
    name: 'ASSAY_DEADLETTER',
    subjects: ['assay.deadletter.>'],
    maxAgeSeconds: 30 * 24 * 3600,
    description: 'Messages that could not be handled after the allowed deliveries',
  },
} as const satisfies Record<string, StreamSpec>;

export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  readonly description: string;
}

export const Consumers = {
  scannerDiscovered: {
    stream: Streams.images.name,
    durable: 'scanner-discovered',
    filterSubject: Topics.imageDiscovered.subject,
    description: 'Scanner: scan each discovered image',
  },
  scannerRequests: {
    stream: Streams.scans.name,
    durable: 'scanner-requests',
    filterSubject: Topics.scanRequested.subject,
    description: 'Scanner: explicit scan requests',
  },
  policyIndexes: {
    stream: Streams.images.name,
    durable: 'policy-indexes',
    filterSubject: Topics.indexDiscovered.subject,
    description: 'Policy: record each image index, to give its digest an aggregate verdict',
  },
  policyDiscovered: {
    stream: Streams.images.name,
    durable: 'policy-discovered',
    filterSubject: Topics.imageDiscovered.subject,
    description: 'Policy: give each discovered image a pending verdict until its scan is judged',
  },
  policyRequests: {
    stream: Streams.scans.name,
    durable: 'policy-requests',
    filterSubject: Topics.scanRequested.subject,
    description: 'Policy: give each image asked to be scanned a pending verdict until its scan is judged',
  },
  policyScans: {
    stream: Streams.scans.name,
    durable: 'policy-scans',
    filterSubject: Topics.scanCompleted.subject,
    description: 'Policy: evaluate each completed scan',
  },
  policyChanges: {
    stream: Streams.policy.name,
    durable: 'policy-changes',
    filterSubject: Topics.policyChanged.subject,
    description: 'Policy: re-evaluate after a policy change',
  },
  policyVulnDb: {
    stream: Streams.policy.name,
    durable: 'policy-vulndb',
    filterSubject: Topics.vulnDbUpdated.subject,
    description: 'Policy: re-evaluate after a vulnerability database update',
  },
  auditElasticsearch: {
    stream: Streams.audit.name,
    durable: 'audit-elasticsearch',
    filterSubject: 'assay.audit.>',
    description: 'Audit: deliver audit events to Elasticsearch',
  },
} as const satisfies Record<string, ConsumerSpec>;

export interface BucketSpec {
  readonly name: string;
  readonly history: number;
  readonly description: string;
  /** Entries older than this are removed (seconds); absent: kept until deleted. */
  readonly maxAgeSeconds?: number;
}

export const Buckets = {
  verdicts: { name: 'verdicts', history: 5, description: 'Image digest → current Verdict (protobuf)' },
  tags: { name: 'tags', history: 1, description: 'Normalised image reference → manifest digest' },
  runtimePolicies: {
    name: 'runtime-policies',
    history: 1,
    description: 'Runtime policy id → current version (JSON {id, version, policy}), written by policy, mirrored by admission',
  },
  exceptions: {
    name: 'policy-exceptions',
    history: 1,
    description: 'Exception id → exception in force (JSON), written by policy, mirrored by admission',
  },
  imageIndexes: {
    name: 'image-indexes',
    history: 1,
    description: 'Index digest → the index and its platform manifests (ImageDiscovered, protobuf), written and mirrored by policy',
  },
  running: {
    name: 'running',
    history: 1,
    description:
      'Image digest → where it runs in the cluster (RunningImage, protobuf), from the registry-watcher Pod informer; read by policy (reports) and admission (grace)',
  },
  watcherSeen: {
    name: 'watcher-seen',
    history: 1,
    description: 'registry-watcher: manifest digests already announced (or claimed) as ImageDiscovered',
    // Bounded: a digest seen again after this is announced again, and the scanner answers it
    // from its stored report (no pull), so forgetting costs little.
    maxAgeSeconds: 30 * 24 * 3600,
  },
  deployment: {
    name: 'deployment',
    // A few versions: after a deliberate move to another store, the one it replaced stays readable.
    history: 5,
    description:
      'Which store the deployment uses (key store) and which store last reconciled each document bucket (written-by.<bucket>), JSON; written by policy and scanner',
  },
} as const satisfies Record<string, BucketSpec>;

/** Keys of the `deployment` bucket. */
export const DeploymentKeys = {
  /** The deployment's store: the first service with a store records its identity here (create-only). */
  store: 'store',
  /** Which store last reconciled document bucket `bucket` (a name from Buckets). */
  writtenBy: (bucket: string) => `written-by.${bucket}`,
} as const;

/** Which streams, consumers and buckets a service provisions at start. */
export interface Topology {
  readonly streams: readonly StreamSpec[];
  readonly consumers: readonly ConsumerSpec[];
  readonly buckets: readonly BucketSpec[];
}

/** Everything, for tools (npm start, tests) that provision the whole bus at once. */
export const FullTopology: Topology = {
  streams: Object.values(Streams),
  consumers: Object.values(Consumers),
  buckets: Object.values(Buckets),
};
