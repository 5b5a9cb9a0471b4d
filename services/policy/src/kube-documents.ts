// How each assay.dev custom resource maps onto a stored document: the id (`metadata.name`; for a
// namespaced PolicyException `<namespace>.<name>`), the document its spec describes (validated
// with the domain schema the REST API's store validates with, errors naming `spec.<field>`), the
// latest stored version, and the write and delete through PolicyChanges (the REST API's own path:
// buckets, audit events and re-evaluation follow as for any change).
import {
  ImageAssurancePolicySchema,
  PolicyExceptionSchema,
  RuntimePolicySchema,
  validate,
  ValidationError,
  type VersionedRecord,
  type VersionSource,
} from '@assay/domain';
import { apiVersionOf, type KubeObject, type ResourceRef } from '@assay/kube';
import { ASSAY_GROUP, ASSAY_VERSION, type AssayResource } from '@assay/domain';
import type { Store } from '@assay/store';
import { anyGlob } from '@assay/runtime-policy';
import type { PolicyChanges } from './changes.ts';
import { RESOURCE_OF, type ManagedKind } from './managed-by.ts';

/** One kind of resource, bound to its stored documents. */
export interface ResourceBinding {
  readonly kind: ManagedKind;
  readonly resource: AssayResource;
  readonly ref: ResourceRef;
  /** The stored id of an object. */
  idOf(obj: KubeObject): string;
  /** The document the object's spec describes; ValidationError naming `spec.<field>` when it is not one. */
  documentOf(obj: KubeObject): unknown;
  /** The latest stored version (tombstones included). */
  latest(id: string): Promise<VersionedRecord<unknown> | undefined>;
  put(id: string, document: unknown, expectedVersion: number, by: string, source: VersionSource): Promise<number>;
  remove(id: string, by: string, source: VersionSource): Promise<number>;
}

export function refOf(resource: AssayResource): ResourceRef {
  return { group: ASSAY_GROUP, version: ASSAY_VERSION, plural: resource.plural, namespaced: resource.scope === 'Namespaced' };
}

export const ASSAY_API_VERSION_OF = (r: AssayResource) => apiVersionOf(refOf(r));

function specOf(obj: KubeObject): unknown {
  if (obj.spec === undefined) throw new ValidationError([{ path: 'spec', message: 'required' }]);
  return obj.spec;
}

async function latestOf<T>(history: Promise<VersionedRecord<T>[]>): Promise<VersionedRecord<unknown> | undefined> {
  return (await history).at(-1);
}

/**
 * Where a PolicyException object may change verdicts. A verdict is the image's in every namespace,
 * so an exception that excuses findings is the platform team's to grant: only objects in
 * `verdictNamespaces` (the policy service's own namespace by default) may. Anywhere else a team
 * may only break glass for itself: the object must be `breakGlass`, and its scope's namespaces are
 * its own namespace (admission lets the image in there, nowhere else).
 */
export function exceptionInNamespace(
  spec: Record<string, unknown>,
  namespace: string,
  verdictNamespaces: readonly string[],
): Record<string, unknown> {
  if (anyGlob(verdictNamespaces, namespace)) return spec;
  if (spec['breakGlass'] !== true) {
    throw new ValidationError([
      {
        path: 'spec.breakGlass',
        message: `an exception that changes verdicts holds in every namespace: create it in ${verdictNamespaces.join(', ') || "the policy service's namespace"}; in namespace ${namespace} it must be breakGlass (it then admits the image in ${namespace} only)`,
      },
    ]);
  }
  const scope = typeof spec['scope'] === 'object' && spec['scope'] !== null ? (spec['scope'] as Record<string, unknown>) : {};
  const asked = scope['namespaces'];
  if (asked !== undefined && !(Array.isArray(asked) && asked.every((n) => n === namespace))) {
    throw new ValidationError([
      { path: 'spec.scope.namespaces', message: `a break-glass exception in namespace ${namespace} applies to ${namespace} only` },
    ]);
  }
  return { ...spec, scope: { ...scope, namespaces: [namespace] } };
}

/** The three bindings: image assurance policies, runtime policies, exceptions. */
export function resourceBindings(
  store: Store,
  changes: PolicyChanges,
  clock: () => Date,
  verdictNamespaces: readonly string[],
): ResourceBinding[] {
  const policy: ResourceBinding = {
    kind: 'policy',
    resource: RESOURCE_OF.policy,
    ref: refOf(RESOURCE_OF.policy),
    idOf: (obj) => obj.metadata.name,
    documentOf: (obj) => validate(ImageAssurancePolicySchema, specOf(obj), 'spec'),
    latest: (id) => latestOf(store.policies.history(id)),
    put: async (id, doc, expected, by, source) => (await changes.putPolicy(id, doc as never, expected, by, source)).record.version,
    remove: async (id, by, source) => (await changes.deletePolicy(id, undefined, by, source)).record.version,
  };
  const runtime: ResourceBinding = {
    kind: 'runtimePolicy',
    resource: RESOURCE_OF.runtimePolicy,
    ref: refOf(RESOURCE_OF.runtimePolicy),
    idOf: (obj) => obj.metadata.name,
    documentOf: (obj) => validate(RuntimePolicySchema, specOf(obj), 'spec'),
    latest: (id) => latestOf(store.runtimePolicies.history(id)),
    put: async (id, doc, expected, by, source) => (await changes.putRuntimePolicy(id, doc as never, expected, by, source)).record.version,
    remove: async (id, by, source) => (await changes.deleteRuntimePolicy(id, undefined, by, source)).record.version,
  };
  const exception: ResourceBinding = {
    kind: 'exception',
    resource: RESOURCE_OF.exception,
    ref: refOf(RESOURCE_OF.exception),
    idOf: (obj) => `${obj.metadata.namespace ?? ''}.${obj.metadata.name}`,
    documentOf: (obj) => {
      const spec = specOf(obj);
      const m = obj.metadata;
      // id, createdBy and createdAt come from the object, never from its spec.
      const own = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
      const input = {
        ...exceptionInNamespace(own, m.namespace ?? '', verdictNamespaces),
        id: `${m.namespace ?? ''}.${m.name}`,
        createdBy: `kubernetes:${m.namespace ?? ''}/${m.name}`,
        createdAt: m.creationTimestamp ?? clock().toISOString(),
      };
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
        throw new ValidationError([{ path: 'spec', message: 'expected an object' }]);
      return validate(PolicyExceptionSchema, input, 'spec');
    },
    latest: (id) => latestOf(store.exceptionVersions.history(id)),
    put: async (_id, doc, expected, by, source) =>
      (await changes.putException(doc as Record<string, unknown>, by, clock(), expected, source)).version,
    remove: async (id, by, source) => (await changes.deleteException(id, by, undefined, source)).version,
  };
  return [policy, runtime, exception];
}
