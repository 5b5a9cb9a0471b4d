// Contracts: generated protobuf messages and the names of everything on the bus. The generated
// modules are re-exported whole: the .proto files are their export list.
export * from '../gen/assay/v1/meta_pb.js';
export * from '../gen/assay/v1/image_pb.js';
export * from '../gen/assay/v1/scan_pb.js';
export * from '../gen/assay/v1/policy_pb.js';
export * from '../gen/assay/v1/audit_pb.js';
export * from '../gen/assay/v1/workloads_pb.js';
export {
  Buckets,
  Consumers,
  deadLetterTopic,
  DeploymentKeys,
  FullTopology,
  ScanProgressTopic,
  Streams,
  Topics,
  TRUST_REFRESH_REASON,
  type BucketSpec,
  type ConsumerSpec,
  type StreamSpec,
  type Topic,
  type Topology,
} from './names.ts';
export { decodeBucketKey, digestBucketKey, encodeBucketKey, tagBucketKey } from './bucket-keys.ts';
export { derivedEventId, eventIdOf, newEventMeta } from './event-meta.ts';
export { natsPermissions, natsPermissionsConfig, SERVICE_NAMES, type NatsPermissions, type ServiceName } from './permissions.ts';
