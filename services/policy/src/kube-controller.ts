// The policy service's Kubernetes controller: keeps the store in step with the assay.dev custom
// resources (ImageAssurancePolicy, RuntimePolicy, PolicyException) and writes their status.
//
// One informer per kind. An object added or changed: its spec is validated with the domain
// schema (the one the REST API's writes are validated with); if valid it is written through
// PolicyChanges, the path every REST write takes (buckets, audit events and re-evaluation follow
// the same way), recording its source {kubernetes, resourceVersion, uid, generation}. Nothing is
// written when the stored version already came from this object at this resourceVersion or
// generation, or holds the same document (a restart, a re-list, a status write's own event). An
// object deleted: its document gets a tombstone, if Kubernetes manages it.
//
// Which wins (managed-by.ts, and README "Policies as Kubernetes resources"): an object says who
// manages it. A document Kubernetes manages is changed only with kubectl (the REST API and the
// YAML import answer 409). An object whose id names a document the API manages changes nothing
// and says ManagedByApi, unless it carries `assay.dev/managed-by: kubernetes`, which adopts it.
//
// Status: Accepted True (storedVersion, observedGeneration) or Accepted False with reason
// Invalid (the message names the field; nothing stored, the previous version stays in force) or
// ManagedByApi; an image assurance policy's status also counts the images judged compliant and
// non-compliant under it, refreshed at most every `countsIntervalMs` after verdicts changed.
// Status is written only when it differs from what the object holds.
import { managedBy, ValidationError, type VersionSource } from '@assay/domain';
import { Informer, KubeApiError, type KubeClient, type KubeObject } from '@assay/kube';
import { NotFoundError, ConflictError } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import { jsonDiff } from '@assay/policy-engine';
import type { PolicyEngine } from './engine.ts';
import { resourceBindings, type ResourceBinding } from './kube-documents.ts';
import { buildStatus, statusChanged, type AcceptedReason, type ImageCounts } from './kube-status.ts';
import { asksToAdopt, resourceName } from './managed-by.ts';
import type { PolicyChanges } from './changes.ts';
import type { VerdictList } from './verdict-list.ts';

export interface PolicyControllerOptions {
  client: KubeClient;
  engine: PolicyEngine;
  changes: PolicyChanges;
  /** The verdicts as the service mirrors them: how each judges its image under a policy, and their changes (which refresh the counts). */
  verdicts: Pick<VerdictList, 'judgedUnder' | 'onChange'>;
  logger: Logger;
  /** Namespace globs whose PolicyException objects may change verdicts (kube-documents.ts exceptionInNamespace). */
  exceptionNamespaces: readonly string[];
  clock?: () => Date;
  /** At most one refresh of the image counts this often (ms). Default 2000. */
  countsIntervalMs?: number;
  /** Informer options (tests shorten the watch and the back-off). */
  watchTimeoutSeconds?: number;
  backoff?: { min: number; max: number };
}

type Accepted = { status: boolean; reason: AcceptedReason; message: string; storedVersion?: number | undefined };

/** Objects whose status is counted, by policy id: the last object seen and its Accepted state. */
interface Tracked {
  obj: KubeObject;
  accepted: Accepted;
}

export class PolicyController {
  readonly #o: PolicyControllerOptions & { clock: () => Date; countsIntervalMs: number };
  readonly #bindings: ResourceBinding[];
  readonly #informers: Informer[] = [];
  /** Image assurance policies with an object, for the counts. */
  readonly #policies = new Map<string, Tracked>();
  readonly #counts = new Map<string, ImageCounts>();
  #countsDirty = true;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  #stopped = false;

  constructor(o: PolicyControllerOptions) {
    this.#o = { clock: () => new Date(), countsIntervalMs: 2000, ...o };
    this.#bindings = resourceBindings(o.engine.store, o.changes, this.#o.clock, o.exceptionNamespaces);
  }

  /** Starts the informers and the counts refresher (`synced` resolves once every kind was listed). */
  start(): void {
    for (const b of this.#bindings) {
      const informer = new Informer(
        this.#o.client,
        b.ref,
        { upsert: (obj) => this.#upsert(b, obj), remove: (obj) => this.#remove(b, obj) },
        {
          logger: this.#o.logger,
          ...(this.#o.watchTimeoutSeconds ? { watchTimeoutSeconds: this.#o.watchTimeoutSeconds } : {}),
          ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
        },
      );
      this.#informers.push(informer);
      informer.start();
    }
    // Every verdict change marks the counts stale (the refresher runs at most every interval).
    this.#unwatch = this.#o.verdicts.onChange(() => (this.#countsDirty = true));
    this.#timer = setInterval(() => void this.refreshCounts(), this.#o.countsIntervalMs);
    this.#timer.unref();
  }

  /** Resolves once every kind was listed and each object handled once. */
  get synced(): Promise<void> {
    return Promise.all(this.#informers.map((i) => i.synced)).then(() => undefined);
  }

  /** Seconds the oldest broken list/watch has been down (0 while every one is up). */
  staleSeconds(): number {
    return Math.max(0, ...this.#informers.map((i) => i.staleSeconds()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#unwatch?.();
    await Promise.all(this.#informers.map((i) => i.stop()));
    await this.#refreshing;
  }

  async #upsert(b: ResourceBinding, obj: KubeObject): Promise<void> {
    const id = b.idOf(obj);
    let accepted: Accepted;
    try {
      const document = b.documentOf(obj);
      accepted = await this.#write(b, obj, id, document);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const message = err.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      this.#o.logger.warn({ resource: resourceName(b.kind, id), message }, 'invalid resource: nothing stored');
      accepted = { status: false, reason: 'Invalid', message };
    }
    if (b.kind === 'policy') {
      this.#policies.set(id, { obj, accepted });
      if (accepted.status && !this.#counts.has(id)) this.#counts.set(id, await this.#countImages(id));
    }
    await this.#writeStatus(b, obj, accepted, b.kind === 'policy' && accepted.status ? this.#counts.get(id) : undefined);
  }

  /** Stores the object's document unless it is already stored; what the Accepted condition says. */
  async #write(b: ResourceBinding, obj: KubeObject, id: string, document: unknown): Promise<Accepted> {
    const m = obj.metadata;
    const latest = await b.latest(id);
    const live = latest && !latest.deleted ? latest : undefined;
    if (live && managedBy(live) === 'api' && !asksToAdopt(m)) {
      return {
        status: false,
        reason: 'ManagedByApi',
        message: `${id} is managed through the Assay API; nothing changed. Annotate the resource with assay.dev/managed-by: kubernetes to manage it from Kubernetes`,
      };
    }
    const source: VersionSource = {
      managedBy: 'kubernetes',
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(typeof m.generation === 'number' ? { generation: m.generation } : {}),
    };
    if (live && managedBy(live) === 'kubernetes' && (live.source?.uid === undefined || live.source.uid === m.uid)) {
      const s = live.source!;
      const seen =
        (m.resourceVersion !== undefined && s.resourceVersion === m.resourceVersion) ||
        (m.generation !== undefined && s.generation === m.generation) ||
        jsonDiff(live.document, document).length === 0;
      if (seen) return { status: true, reason: 'Accepted', message: `stored as version ${live.version}`, storedVersion: live.version };
    }
    const by = `kubernetes:${resourceName(b.kind, id)}`;
    try {
      const version = await b.put(id, document, latest?.version ?? 0, by, source);
      this.#o.logger.info({ resource: resourceName(b.kind, id), version, resourceVersion: m.resourceVersion }, 'stored from the resource');
      return { status: true, reason: 'Accepted', message: `stored as version ${version}`, storedVersion: version };
    } catch (err) {
      // Someone wrote meanwhile: the informer retries the event (from the re-read state).
      if (err instanceof ConflictError)
        this.#o.logger.warn({ resource: resourceName(b.kind, id), err: err.message }, 'write conflict; retried');
      throw err;
    }
  }

  async #remove(b: ResourceBinding, obj: KubeObject): Promise<void> {
    const id = b.idOf(obj);
    if (b.kind === 'policy') {
      this.#policies.delete(id);
      this.#counts.delete(id);
    }
    const latest = await b.latest(id);
    if (!latest || latest.deleted || managedBy(latest) !== 'kubernetes') return;
    // Another object of that name replaced it since (a different uid): not this one's to delete.
    if (latest.source?.uid !== undefined && obj.metadata.uid !== undefined && latest.source.uid !== obj.metadata.uid) return;
    const m = obj.metadata;
    const source: VersionSource = {
      managedBy: 'kubernetes',
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(typeof m.generation === 'number' ? { generation: m.generation } : {}),
    };
    try {
      const version = await b.remove(id, `kubernetes:${resourceName(b.kind, id)}`, source);
      this.#o.logger.info({ resource: resourceName(b.kind, id), version }, 'deleted with the resource');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** Writes the status when it changed; a stale object is re-read once, a vanished one ignored. */
  async #writeStatus(b: ResourceBinding, obj: KubeObject, accepted: Accepted, images: ImageCounts | undefined): Promise<void> {
    let target = obj;
    for (let attempt = 0; attempt < 2 && !this.#stopped; attempt++) {
      const status = buildStatus(target.status, target.metadata.generation, accepted, images, this.#o.clock());
      if (!statusChanged(target.status, status)) return;
      try {
        await this.#o.client.replaceStatus(b.ref, { ...target, status: status as unknown as Record<string, unknown> });
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError) || (err.status !== 409 && err.status !== 404)) throw err;
        if (err.status === 404) return;
        const fresh = await this.#o.client.get(b.ref, target.metadata.name, target.metadata.namespace);
        // Gone, or its spec changed: its own event brings the status for it.
        if (!fresh || fresh.metadata.generation !== target.metadata.generation) return;
        target = fresh;
      }
    }
  }

  /** Images the policy's scope covers, counted by how their verdicts judge them under it. */
  async #countImages(id: string): Promise<ImageCounts> {
    const current = await this.#o.engine.store.policies.current(id);
    const counts: ImageCounts = { compliant: 0, nonCompliant: 0 };
    if (!current?.document) return counts;
    for (const digest of this.#o.engine.digestsInScope([current.document.scope])) {
      const j = this.#o.verdicts.judgedUnder(digest, id);
      if (j) counts[j]++;
    }
    return counts;
  }

  /** Recounts every accepted policy's images and writes the statuses whose counts changed (when verdicts changed since the last time). */
  refreshCounts(): Promise<void> {
    if (this.#refreshing || !this.#countsDirty || this.#stopped) return this.#refreshing ?? Promise.resolve();
    this.#countsDirty = false;
    this.#refreshing = (async () => {
      const binding = this.#bindings.find((b) => b.kind === 'policy')!;
      for (const [id, t] of this.#policies) {
        if (!t.accepted.status || this.#stopped) continue;
        const counts = await this.#countImages(id);
        this.#counts.set(id, counts);
        // The object as last seen: a newer status write by this controller arrives as an event and replaces it.
        await this.#writeStatus(binding, t.obj, t.accepted, counts);
      }
    })()
      .catch((err: unknown) => {
        this.#countsDirty = true;
        this.#o.logger.warn({ err }, 'refreshing image counts failed; retried');
      })
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }
}
