export * from './readiness.ts';
export * from './health.ts';
export * from './service.ts';
export * from './run.ts';
export * from './store-identity.ts';
