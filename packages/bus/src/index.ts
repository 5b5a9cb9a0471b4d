// @assay/bus: the one way services talk over NATS JetStream — connect, provision, typed
// publish, durable consumption with dead-lettering, and in-memory KV mirrors.
export { type BusLogger, silentLogger } from './logger.ts';
export {
  BusConnectError,
  type BusConnection,
  type BusConnectOptions,
  type BusTlsOptions,
  connectBus,
  type ConnectionState,
  type Stoppable,
} from './connect.ts';
export {
  bucketStreamName,
  type DurableConsumerSpec,
  type ProvisionAction,
  type ProvisionOptions,
  type ProvisionReport,
  type ProvisionTopology,
  provisionTopology,
} from './provision.ts';
// Event metadata lives with the messages (@assay/proto); re-exported for the bus's users.
export { derivedEventId, eventIdOf, newEventMeta } from '@assay/proto';
export { isPermanentError, PermanentError } from './errors.ts';
export {
  CONTENT_TYPE_PROTOBUF,
  eventHeaders,
  HEADER_ASSAY_TYPE,
  HEADER_CONTENT_TYPE,
  HEADER_MSG_ID,
  headersToRecord,
} from './message-headers.ts';
export { extractTraceContext, injectTraceContext } from './trace-headers.ts';
export { publishCore, publishEvent, type PublishEventOptions } from './publish.ts';
export {
  type AuditPublishOptions,
  DEFAULT_MAX_PAYLOAD,
  maxPayloadOf,
  publishAuditBatch,
  publishAuditEvent,
  splitAuditBatch,
} from './audit-publish.ts';
export { REDUCED_RECORD_CONTROL, type ReducedEvent, type Reduction, reduceAuditEvent } from './audit-reduce.ts';
export { subscribeCore } from './subscribe.ts';
export { deadLetterRecord, type DeadLetterSource } from './dead-letter.ts';
export {
  type ConsumeDurableOptions,
  consumeDurable,
  type ConsumerHandle,
  type DeadLetterOptions,
  type Delivery,
  type Handler,
} from './consume.ts';
export { type KvMirror, type KvMirrorOptions, mirrorBucket, type MirrorChange } from './kv-mirror.ts';
export {
  awaitDeploymentStore,
  type AwaitDeploymentStoreOptions,
  bucketWriter,
  type ClaimOptions,
  claimDeploymentStore,
  deploymentBucket,
  describeStoreRecord,
  type RecordedStore,
  recordBucketWriter,
  type StoreClaim,
  type StoreRecord,
  watchDeploymentStore,
  type WatchDeploymentStoreOptions,
} from './deployment-store.ts';
