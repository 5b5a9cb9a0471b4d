export * from './config.ts';
export * from './fields.ts';
export * from './common.ts';
