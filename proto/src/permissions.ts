// What each service may publish and subscribe to, as nats-server enforces it per user. A service
// publishes only its own events and writes only its own buckets: a stolen service password cannot
// forge another service's verdicts, discoveries or audit trail, nor delete or purge a stream.
import { Buckets, deadLetterTopic, DeploymentKeys, ScanProgressTopic, Streams, Topics, type BucketSpec } from './names.ts';

export type ServiceName = 'registry-watcher' | 'scanner' | 'policy' | 'admission' | 'audit';

export interface NatsPermissions {
  publish: { allow: readonly string[]; deny: readonly string[] };
  subscribe: { allow: readonly string[] };
}

/** Writes to a bucket are publishes to `$KV.<bucket>.<key>`. */
const kv = (b: BucketSpec) => `$KV.${b.name}.>`;
const dead = (stream: { name: string }) => deadLetterTopic(stream.name).subject;

// Every service uses the JetStream API (provisioning its slice, pulling from its consumers,
// reading buckets), acknowledges and answers flow control, and gets replies on its inboxes.
const JETSTREAM = ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>'];
// Nothing a service does deletes or purges a stream (keys are deleted by publishing markers).
const NEVER = ['$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>'];
const INBOX = ['_INBOX.>'];

const own: Record<ServiceName, string[]> = {
  'registry-watcher': [
    Topics.imageDiscovered.subject,
    Topics.indexDiscovered.subject,
    // Only to ask for a digest's trust to be verified again (a signature pushed after the image).
    Topics.scanRequested.subject,
    kv(Buckets.tags),
    kv(Buckets.watcherSeen),
    kv(Buckets.running),
  ],
  scanner: [
    Topics.scanCompleted.subject,
    Topics.indexDiscovered.subject,
    Topics.vulnDbUpdated.subject,
    Topics.auditScan.subject,
    `${ScanProgressTopic.prefix}.>`,
    dead(Streams.images),
    dead(Streams.scans),
    // Only the deployment's store record; which store wrote the policy buckets is policy's to say.
    `$KV.${Buckets.deployment.name}.${DeploymentKeys.store}`,
  ],
  policy: [
    Topics.verdictChanged.subject,
    Topics.policyChanged.subject,
    Topics.auditPolicy.subject,
    dead(Streams.images),
    dead(Streams.scans),
    dead(Streams.policy),
    kv(Buckets.verdicts),
    kv(Buckets.runtimePolicies),
    kv(Buckets.exceptions),
    kv(Buckets.imageIndexes),
    kv(Buckets.deployment),
  ],
  admission: [Topics.auditAdmissionBatch.subject, Topics.scanRequested.subject],
  audit: [dead(Streams.audit)],
};

export const SERVICE_NAMES = Object.keys(own) as ServiceName[];

export function natsPermissions(service: ServiceName): NatsPermissions {
  return { publish: { allow: [...own[service], ...JETSTREAM], deny: NEVER }, subscribe: { allow: INBOX } };
}

/** The permissions as nats-server configuration (one line): `{ publish: {...}, subscribe: {...} }`. */
export function natsPermissionsConfig(service: ServiceName): string {
  const p = natsPermissions(service);
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  return `{ publish: { allow: ${list(p.publish.allow)}, deny: ${list(p.publish.deny)} }, subscribe: { allow: ${list(p.subscribe.allow)} } }`;
}
