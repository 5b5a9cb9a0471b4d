// The one rule for which wins when a document can be written both through the REST API (and the
// YAML import) and from a Kubernetes custom resource: an object says who manages it.
//
// - Each stored version records its source (`kubernetes` or `api`; versions written before the
//   source was recorded are the API's). The latest version decides.
// - A document managed by Kubernetes is changed and deleted only from its resource: the REST API
//   and the YAML import refuse with 409 "managed by Kubernetes (<plural>/<name>): change it with
//   kubectl". Once the resource is deleted (a tombstone), the id is free again.
// - A resource whose id names a document managed by the API changes nothing (its status says
//   ManagedByApi) unless it carries `assay.dev/managed-by: kubernetes` (an annotation, or a
//   label), which adopts the document: the next version is the resource's, and from then on
//   Kubernetes manages it.
import {
  IMAGE_ASSURANCE_POLICY_RESOURCE,
  managedBy,
  MANAGED_BY_KEY,
  POLICY_EXCEPTION_RESOURCE,
  RUNTIME_POLICY_RESOURCE,
  type AssayResource,
  type VersionedRecord,
  type VersionSource,
} from '@assay/domain';
import { ConflictError } from '@assay/store';

/** The stored kinds of document a resource can manage. */
export type ManagedKind = 'policy' | 'runtimePolicy' | 'exception';

export const RESOURCE_OF: Readonly<Record<ManagedKind, AssayResource>> = {
  policy: IMAGE_ASSURANCE_POLICY_RESOURCE,
  runtimePolicy: RUNTIME_POLICY_RESOURCE,
  exception: POLICY_EXCEPTION_RESOURCE,
};

/**
 * The resource a stored id comes from, as kubectl names it: `imageassurancepolicies/x`; an
 * exception's id is `<namespace>.<name>` (a namespace has no dots), `policyexceptions/x -n team`.
 */
export function resourceName(kind: ManagedKind, id: string): string {
  const r = RESOURCE_OF[kind];
  if (kind !== 'exception') return `${r.plural}/${id}`;
  const dot = id.indexOf('.');
  return dot > 0 ? `${r.plural}/${id.slice(dot + 1)} -n ${id.slice(0, dot)}` : `${r.plural}/${id}`;
}

/**
 * Throws the 409 when a write from the API (`source` not kubernetes) would change a document
 * whose latest version Kubernetes manages. `latest` is the latest version, tombstones included.
 */
export function refuseIfManagedByKubernetes(
  kind: ManagedKind,
  id: string,
  latest: Pick<VersionedRecord<unknown>, 'source' | 'deleted' | 'version'> | undefined,
  source: VersionSource | undefined,
): void {
  if (source?.managedBy === 'kubernetes' || !latest || latest.deleted || managedBy(latest) !== 'kubernetes') return;
  throw new ConflictError(`managed by Kubernetes (${resourceName(kind, id)}): change it with kubectl`, {
    actual: latest.version,
  });
}

/** Whether a resource asks to adopt a document the API manages (`assay.dev/managed-by: kubernetes`). */
export function asksToAdopt(metadata: { annotations?: Record<string, string>; labels?: Record<string, string> }): boolean {
  return metadata.annotations?.[MANAGED_BY_KEY] === 'kubernetes' || metadata.labels?.[MANAGED_BY_KEY] === 'kubernetes';
}
