// Contracts: generated protobuf messages and the names of everything on the bus.
export * from '../gen/assay/v1/meta_pb.js';
export * from '../gen/assay/v1/image_pb.js';
export * from '../gen/assay/v1/scan_pb.js';
export * from '../gen/assay/v1/policy_pb.js';
export * from '../gen/assay/v1/audit_pb.js';
export * from './names.ts';
export * from './bucket-keys.ts';
export * from './permissions.ts';
