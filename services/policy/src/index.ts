// @assay/policy: the policy service and its library (evaluation engine, verdicts, REST API).
// Runtime decisions shared with admission live in @assay/runtime-policy.
export * from './service.ts';
export * from './config.ts';
export * from './evaluate.ts';
export * from './version-range.ts';
export * from './verdict.ts';
export * from './verdict-bucket.ts';
export * from './engine.ts';
export * from './index-verdicts.ts';
export * from './changes.ts';
export * from './document-buckets.ts';
export * from './diff.ts';
export * from './yaml-io.ts';
export * from './routes.ts';
export * from './audit.ts';
export type { Violation, ControlResult } from './controls/types.ts';
export * from './api-tokens.ts';
