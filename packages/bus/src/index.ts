// @assay/bus: the one way services talk over NATS JetStream — connect, provision, typed
// publish, durable consumption with dead-lettering, and in-memory KV mirrors.
export * from './logger.ts';
export * from './connect.ts';
export * from './provision.ts';
export * from './event-meta.ts';
export * from './errors.ts';
export * from './message-headers.ts';
export * from './trace-headers.ts';
export * from './publish.ts';
export * from './subscribe.ts';
export * from './consume.ts';
export * from './kv-mirror.ts';
export * from './deployment-store.ts';
