// @assay/admission: the webhook as a library (the service, and the pure review the CLI reuses).
export * from './service.ts';
export * from './config.ts';
export * from './review.ts';
export * from './images.ts';
export * from './decide.ts';
export * from './snapshot.ts';
export * from './mutate.ts';
export * from './audit.ts';
export * from './outbox.ts';
export * from './resolve.ts';
export * from './tls.ts';
export * from './webhook.ts';
export * from './handler.ts';
export * from './publisher.ts';
export * from './audit-batcher.ts';
export * from './lru.ts';
export * from './namespace-labels.ts';
