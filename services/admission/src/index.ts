// @assay/admission: the webhook as a service around @assay/review-engine. Exported: what the
// process, the tests and the local and e2e stacks start or inspect.
export { admissionService, admissionTopology, type Admission } from './service.ts';
export type { AdmissionShape } from './config.ts';
export { auditEventOf } from './audit.ts';
export { AuditBatcher } from './audit-batcher.ts';
export { Outbox } from './outbox.ts';
export { eventsIn, type OutboundEvent, publisherFor } from './publisher.ts';
export { NamespaceLabels, type KubeConnection } from './namespace-labels.ts';
export { Staleness, type MirrorState } from './staleness.ts';
export { TagResolver, type Unresolved } from './resolve.ts';
