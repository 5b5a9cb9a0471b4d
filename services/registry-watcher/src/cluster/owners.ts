// Which workload a Pod belongs to: its controller owner, followed one step further where the
// owner is itself managed — a ReplicaSet owned by a Deployment is the Deployment, a Job owned by
// a CronJob is the CronJob (StatefulSet, DaemonSet, ReplicationController and other controllers
// own their pods directly; a Pod without owner is its own workload).
//
// The ReplicaSet or Job is read by GET through the Kubernetes API (RBAC: get on replicasets and
// jobs) and remembered in a small bounded cache (owners do not change). When the GET is not
// allowed (403) or the object is gone (404), a ReplicaSet is named from the Pod instead: the
// Deployment controller names its ReplicaSets `<deployment>-<pod-template-hash>`, and the Pod
// carries that hash as a label; a Job stays a Job (its CronJob cannot be told from names alone).
import { TtlLru } from '@assay/kit';
import { KubeApiError, type KubeClient, type KubeObject, type OwnerReference, type ResourceRef } from '@assay/kube';
import type { Logger } from '@assay/telemetry';

export interface Workload {
  namespace: string;
  kind: string;
  name: string;
}

export const REPLICASETS: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
export const JOBS: ResourceRef = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };

/** The Deployment controller's label on a ReplicaSet's pods (and the suffix of the ReplicaSet name). */
const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The controller owner (the one with `controller: true`), else the first owner. */
export function controllerOf(obj: Pick<KubeObject, 'metadata'>): OwnerReference | undefined {
  const refs = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
  const valid = refs.filter((r) => r && typeof r.kind === 'string' && typeof r.name === 'string' && r.name);
  return valid.find((r) => r.controller === true) ?? valid[0];
}

/** The Deployment a ReplicaSet's name and its pod's hash label name, or undefined. */
export function deploymentFromName(replicaSet: string, podLabels: Record<string, string> | undefined): string | undefined {
  const hash = podLabels?.[POD_TEMPLATE_HASH];
  if (!hash || !replicaSet.endsWith(`-${hash}`)) return undefined;
  return replicaSet.slice(0, -hash.length - 1) || undefined;
}

export interface OwnerResolverOptions {
  client: KubeClient;
  logger: Logger;
  /** Owners remembered (ReplicaSets and Jobs). Default 5000. */
  cacheSize?: number;
  /** How long a resolved owner is remembered (ms). Default 10 minutes. */
  ttlMs?: number;
  /** Deadline of one GET (ms). Default 5000. */
  timeoutMs?: number;
}

type Parent = { kind: string; name: string } | null;

export class OwnerResolver {
  readonly #o: OwnerResolverOptions;
  readonly #cache: TtlLru<Parent>;
  readonly #ttlMs: number;
  /** Set once a GET was refused (403): names are used from then on, no more refused calls. */
  readonly #forbidden = new Set<string>();
  /** GETs made (for tests and logs). */
  gets = 0;

  constructor(opts: OwnerResolverOptions) {
    this.#o = opts;
    this.#cache = new TtlLru(opts.cacheSize ?? 5000);
    this.#ttlMs = opts.ttlMs ?? 10 * 60_000;
  }

  /** The workload the Pod belongs to. */
  async workloadOf(pod: KubeObject): Promise<Workload> {
    const namespace = pod.metadata.namespace ?? '';
    const owner = controllerOf(pod);
    if (!owner) return { namespace, kind: 'Pod', name: pod.metadata.name };
    if (owner.kind === 'ReplicaSet' && /^apps\//.test(owner.apiVersion ?? 'apps/v1')) {
      const parent = await this.#parent(REPLICASETS, namespace, owner.name);
      if (parent?.kind === 'Deployment') return { namespace, kind: 'Deployment', name: parent.name };
      if (parent === undefined) {
        const name = deploymentFromName(owner.name, pod.metadata.labels);
        if (name) return { namespace, kind: 'Deployment', name };
      }
      return { namespace, kind: 'ReplicaSet', name: owner.name };
    }
    if (owner.kind === 'Job' && /^batch\//.test(owner.apiVersion ?? 'batch/v1')) {
      const parent = await this.#parent(JOBS, namespace, owner.name);
      if (parent?.kind === 'CronJob') return { namespace, kind: 'CronJob', name: parent.name };
      return { namespace, kind: 'Job', name: owner.name };
    }
    return { namespace, kind: owner.kind, name: owner.name };
  }

  /**
   * The controller owner of a ReplicaSet or Job: null when it has none, undefined when it could
   * not be read (forbidden, gone, the API unreachable) — the caller then falls back to names.
   */
  async #parent(ref: ResourceRef, namespace: string, name: string): Promise<Parent | undefined> {
    if (this.#forbidden.has(ref.plural)) return undefined;
    const key = `${ref.plural}/${namespace}/${name}`;
    const hit = this.#cache.get(key);
    if (hit) return hit.value;
    try {
      this.gets += 1;
      const obj = await this.#o.client.get(ref, name, namespace, { timeoutMs: this.#o.timeoutMs ?? 5000 });
      if (!obj) return undefined;
      const owner = controllerOf(obj);
      const parent: Parent = owner ? { kind: owner.kind, name: owner.name } : null;
      this.#cache.set(key, parent, this.#ttlMs);
      return parent;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 403) {
        this.#forbidden.add(ref.plural);
        this.#o.logger.warn({ resource: ref.plural, err: err.message }, 'not allowed to read pod owners; naming workloads from the pods');
        return undefined;
      }
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      this.#o.logger.warn({ resource: ref.plural, namespace, name, err: (err as Error).message }, 'reading a pod owner failed');
      return undefined;
    }
  }
}
