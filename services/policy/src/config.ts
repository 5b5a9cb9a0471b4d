// policy's own configuration variables, on top of the common ones (and the store's).
import { int, secret, str } from '@assay/config';
import { storeSettings } from '@assay/store';

export const policyConfig = {
  ...storeSettings(),
  POLICY_API_TOKEN: secret().optional().describe('Bearer token required on /api/v1/* (without it, every API request is refused with 401)'),
  POLICY_API_USER: str('a user or service name')
    .default('policy-api')
    .describe('Who changes made with POLICY_API_TOKEN are recorded as (audit events, policy versions)'),
  POLICY_API_TOKENS_FILE: str('a file path')
    .optional()
    .describe(
      "Per-caller API tokens, one `token,user` line each (the kube-apiserver static token file format); changes are recorded under the caller's user",
    ),
  POLICY_REEVALUATE_CONCURRENCY: int({ min: 1, max: 256 })
    .default(16)
    .describe('Images re-evaluated at once after a policy change, an expiry or a database update'),
  POLICY_SCAN_CONCURRENCY: int({ min: 1, max: 64 }).default(4).describe('Completed scans evaluated at once'),
};

export type PolicyShape = typeof policyConfig;
