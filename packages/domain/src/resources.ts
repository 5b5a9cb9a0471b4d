// Assay's Kubernetes custom resources: the API group and version, and for each kind its plural,
// singular, short names and scope. One place for the names the CRDs are generated with
// (scripts/crd-gen.ts), the RBAC grants, and the policy service's controller watches by: a
// misspelt plural is a 404 at run time, not a compile error, so nobody writes them twice.
import type { VersionSource } from './versioned.ts';

/** The API group of every Assay resource (and of the YAML export's `apiVersion`). */
export const ASSAY_GROUP = 'assay.dev';
export const ASSAY_VERSION = 'v1';
/** `assay.dev/v1`: the `apiVersion` of every Assay resource. */
export const ASSAY_API_VERSION = `${ASSAY_GROUP}/${ASSAY_VERSION}`;

export interface AssayResource {
  readonly kind: string;
  /** The resource name in URLs and RBAC rules (`/apis/assay.dev/v1/<plural>`). */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  /**
   * Policies are cluster-wide (they govern every namespace); exceptions are namespaced so a
   * team can be allowed, with RBAC, to request its own.
   */
  readonly scope: 'Cluster' | 'Namespaced';
}

export const IMAGE_ASSURANCE_POLICY_RESOURCE: AssayResource = {
  kind: 'ImageAssurancePolicy',
  plural: 'imageassurancepolicies',
  singular: 'imageassurancepolicy',
  shortNames: ['iap'],
  scope: 'Cluster',
};

export const RUNTIME_POLICY_RESOURCE: AssayResource = {
  kind: 'RuntimePolicy',
  plural: 'runtimepolicies',
  singular: 'runtimepolicy',
  shortNames: ['rtp'],
  scope: 'Cluster',
};

export const POLICY_EXCEPTION_RESOURCE: AssayResource = {
  kind: 'PolicyException',
  plural: 'policyexceptions',
  singular: 'policyexception',
  shortNames: ['pex'],
  scope: 'Namespaced',
};

/** The three resources, in the order the CRDs are written. */
export const ASSAY_RESOURCES: readonly AssayResource[] = [
  IMAGE_ASSURANCE_POLICY_RESOURCE,
  RUNTIME_POLICY_RESOURCE,
  POLICY_EXCEPTION_RESOURCE,
];

/** `<plural>.<group>`: the name of a resource's CustomResourceDefinition. */
export const crdName = (r: AssayResource): string => `${r.plural}.${ASSAY_GROUP}`;

/**
 * Who manages a policy, runtime policy or exception: the key a custom resource carries (label or
 * annotation) to say so, with the values of VersionSource.managedBy. The rule for which wins is
 * the policy service's (its managed-by module).
 */
export const MANAGED_BY_KEY = 'assay.dev/managed-by';
export const MANAGED_BY = ['kubernetes', 'api'] as const satisfies readonly VersionSource['managedBy'][];
export type ManagedBy = (typeof MANAGED_BY)[number];
