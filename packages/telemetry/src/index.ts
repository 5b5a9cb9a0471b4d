export * from './tracing.ts';
export * from './logging.ts';
export * from './metrics.ts';
