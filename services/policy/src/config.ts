// policy's own configuration variables, on top of the common ones (and the store's).
import { bool, durationMs, int, list, secret, str, url } from '@assay/config';
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
  POLICY_KUBERNETES: bool()
    .default(false)
    .describe(
      'Keep policies, runtime policies and exceptions from the assay.dev custom resources (ImageAssurancePolicy, RuntimePolicy, PolicyException) and write their status; needs list/watch on them and update on their status',
    ),
  POLICY_EXCEPTION_NAMESPACES: list()
    .default([])
    .describe(
      "Namespace globs (comma-separated) whose PolicyException objects may change verdicts, which hold in every namespace; default: the policy service's own namespace. Elsewhere an exception must be breakGlass and admits its images in its own namespace only",
    ),
  POLICY_KUBE_API_URL: url({ protocols: ['https', 'http'] })
    .optional()
    .describe(
      'Kubernetes API server for the policy resources; in a cluster KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA are used',
    ),
  POLICY_KUBE_TOKEN_FILE: str('a file path')
    .optional()
    .describe('Bearer token file for the Kubernetes API, re-read at every connection (default in a cluster: the service-account token)'),
  POLICY_KUBE_CA: str('a file path')
    .optional()
    .describe('CA bundle (PEM) the Kubernetes API server certificate must chain to (default in a cluster: the service-account ca.crt)'),
  POLICY_VEX_DIR: str('a directory path')
    .optional()
    .describe(
      'Directory the VEX documents policies name as `file` are read from (controls.vulnerabilities.vexDocuments); a path leaving it is refused. Without it, named files suppress nothing and the log says why',
    ),
  POLICY_VEX_REFRESH: durationMs()
    .default(3_600_000)
    .describe('How often the VEX documents policies name are read again (files and URLs); images are re-evaluated when one changed'),
  POLICY_VEX_FETCH_TIMEOUT: durationMs().default(10_000).describe('Longest fetching a VEX document URL may take'),
  POLICY_REPORTS_FORMAT: list()
    .default(['openreports'])
    .describe(
      'Report formats written for running workloads with POLICY_KUBERNETES (comma-separated): openreports (openreports.io/v1alpha1 Report), wgpolicyk8s (wgpolicyk8s.io/v1alpha2 PolicyReport)',
    ),
  POLICY_REPORTS_DEBOUNCE: durationMs()
    .default(1000)
    .describe("How long a namespace's report waits for further changes before it is written"),
  POLICY_REPORTS_MAX_RESULTS: int({ min: 10, max: 5000 })
    .default(1000)
    .describe('Results kept per report (failures first); the rest are counted in the assay.dev/results-omitted annotation'),
  POLICY_REPORTS_LINK: str('a URL or path with {digest}')
    .default('/api/v1/verdicts/{digest}')
    .describe("Link to a digest's full report, put in each report result's properties ({digest} is replaced)"),
};

export type PolicyShape = typeof policyConfig;
