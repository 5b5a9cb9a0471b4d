// The resources the Kubernetes API stand-in serves: what Assay reads and writes (namespaces,
// pods and secrets in the core group; the ReplicaSets and Jobs that own pods; its own policy resources; OpenReports and wgpolicyk8s.io reports), with
// their kinds, scope and whether a `status` subresource is declared (as in the CRDs).

export interface StandinResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** A status subresource: PUT of the object ignores status; PUT …/status changes only status. */
  status: boolean;
}

export const STANDIN_RESOURCES: readonly StandinResource[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, status: true },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, status: true },
  // Image pull secrets the scanner reads when configured to (SCANNER_KUBE_PULL_SECRETS).
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, status: false },
  // Pod owners the registry-watcher reads (a ReplicaSet's Deployment, a Job's CronJob).
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, status: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true, status: true },
  { group: 'assay.dev', version: 'v1', plural: 'imageassurancepolicies', kind: 'ImageAssurancePolicy', namespaced: false, status: true },
  { group: 'assay.dev', version: 'v1', plural: 'runtimepolicies', kind: 'RuntimePolicy', namespaced: false, status: true },
  { group: 'assay.dev', version: 'v1', plural: 'policyexceptions', kind: 'PolicyException', namespaced: true, status: true },
  { group: 'openreports.io', version: 'v1alpha1', plural: 'reports', kind: 'Report', namespaced: true, status: false },
  { group: 'openreports.io', version: 'v1alpha1', plural: 'clusterreports', kind: 'ClusterReport', namespaced: false, status: false },
  { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports', kind: 'PolicyReport', namespaced: true, status: false },
  {
    group: 'wgpolicyk8s.io',
    version: 'v1alpha2',
    plural: 'clusterpolicyreports',
    kind: 'ClusterPolicyReport',
    namespaced: false,
    status: false,
  },
];

export const apiVersionOf = (r: StandinResource) => (r.group ? `${r.group}/${r.version}` : r.version);
/** `pods`, `runtimepolicies.assay.dev`: how the API server names a resource in messages. */
export const qualifiedName = (r: StandinResource) => (r.group ? `${r.plural}.${r.group}` : r.plural);

type Json = Record<string, unknown>;

/** A Status as the API server answers failures with. */
export function statusBody(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

/** An API failure the routes answer with its Status. */
export class StandinError extends Error {
  readonly code: number;
  readonly body: Json;
  constructor(code: number, reason: string, message: string, details?: Json) {
    super(message);
    this.code = code;
    this.body = statusBody(code, reason, message, details);
  }
}
