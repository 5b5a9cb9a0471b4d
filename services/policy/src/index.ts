// @assay/policy: the policy service. Transport, bus and store around @assay/policy-engine (how a
// report is judged): the consumers, the verdicts bucket, the document buckets admission mirrors,
// API tokens, audit events and the REST API. Runtime decisions shared with admission live in
// @assay/runtime-policy.
export { policyService, policyTopology } from './service.ts';
export { parseTokenFile } from './api-tokens.ts';
export { IndexVerdicts } from './index-verdicts.ts';
export type { PolicyApi } from './routes.ts';
