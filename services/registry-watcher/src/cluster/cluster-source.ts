// The cluster as a discovery source beside the registries: a read-only Informer over Pods in
// every namespace keeps the running set (which pods run which digests, by workload), the writer
// keeps the `running` bucket in step with it, and every running digest never announced before is
// announced (DISCOVERY_SOURCE_CLUSTER) so it gets scanned.
//
// The watcher never reads a Secret: an announced digest carries the REFERENCES of the image pull
// secrets of one pod running it (namespace, name), and the scanner reads them only when it is
// configured to (SCANNER_KUBE_PULL_SECRETS, with its own RBAC), else it pulls with its
// configured registry credentials. Pod owners are read by GET (replicasets, jobs; see owners.ts), and
// named from the Pod when that is not allowed.
//
// A 410 Gone re-list is the Informer's: it removes pods deleted during the gap and upserts the
// rest; after each full list, bucket entries of digests nothing runs any more (say, from before
// a restart) are deleted. Spec/tag differences are recomputed when a digest's pods change and
// when a tag its pods name moves in the tags bucket (tagChanged).
import type { KV } from 'nats';
import type { KvMirror } from '@assay/bus';
import { TtlLru } from '@assay/kit';
import { Informer, type KubeClient, type KubeObject, type ResourceRef } from '@assay/kube';
import type { Logger } from '@assay/telemetry';
import { tagKey } from '../keys.ts';
import { OwnerResolver } from './owners.ts';
import { podImages, podPullSecrets, type PullSecretRef } from './pod-images.ts';
import { RunningSet, type Contribution } from './running-set.ts';
import { RunningWriter } from './running-writer.ts';

export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };

export interface ClusterSourceOptions {
  client: KubeClient;
  runningKv: KV;
  /** The tags bucket (reference → digest), for spec tags that now name another digest. */
  tags: KvMirror<string>;
  /** Announces a running digest never announced before (Discovery.announceRunning). */
  announce(image: { registry: string; repository: string; digest: string; pullSecrets: readonly PullSecretRef[] }): Promise<boolean>;
  logger: Logger;
  /** Workloads listed per digest at most. */
  maxWorkloads: number;
  debounceMs: number;
  /** Informer page size and watch timeout (tests shorten them). */
  pageSize?: number;
  watchTimeoutSeconds?: number;
}

const podKey = (m: KubeObject['metadata']) => `${m.namespace ?? ''}/${m.name}`;

export class ClusterSource {
  readonly informer: Informer;
  readonly owners: OwnerResolver;
  readonly running = new RunningSet();
  readonly writer: RunningWriter;
  readonly #o: ClusterSourceOptions;
  /** Digest → workloads left out of its entry (over maxWorkloads). */
  readonly #omitted = new Map<string, number>();
  /** Digest → workloads listed, for the gauge. */
  readonly #workloads = new Map<string, number>();
  /** Digests already checked against the seen bucket by this process (bounded). */
  readonly #checked = new TtlLru<true>(100_000);
  #announcing: Promise<void> = Promise.resolve();
  /** Running digests announced by this process. */
  announced = 0;

  constructor(opts: ClusterSourceOptions) {
    this.#o = opts;
    const logger = opts.logger;
    this.owners = new OwnerResolver({ client: opts.client, logger });
    this.writer = new RunningWriter({
      kv: opts.runningKv,
      logger,
      debounceMs: opts.debounceMs,
      view: (digest) => this.#view(digest),
      written: (digests) => this.#announceNew(digests),
    });
    this.informer = new Informer(
      opts.client,
      PODS,
      {
        upsert: (pod) => this.#upsert(pod),
        remove: (pod) => this.writer.touch(this.running.removePod(podKey(pod.metadata))),
        relisted: () => this.#sweep(),
      },
      {
        logger,
        ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
        ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
      },
    );
  }

  /** Loads what the bucket holds (first-seen times survive a restart), then starts the informer. */
  async start(): Promise<void> {
    for (const stored of await this.writer.load()) this.running.adoptFirstSeen(stored);
    this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    await this.writer.stop();
    await this.#announcing;
  }

  /** Workloads listed across every running digest (a workload running two digests counts twice). */
  get workloads(): number {
    let n = 0;
    for (const v of this.#workloads.values()) n += v;
    return n;
  }

  get omitted(): number {
    let n = 0;
    for (const v of this.#omitted.values()) n += v;
    return n;
  }

  /** The readiness detail: never fatal (the registries keep working), says when pods are not loaded. */
  readiness(): true | { ok: true; detail: string } {
    if (!this.informer.isSynced) {
      return { ok: true, detail: `pod list not loaded yet${this.informer.lastError ? `: ${this.informer.lastError}` : ''}` };
    }
    const stale = this.informer.staleSeconds();
    if (stale > 0) return { ok: true, detail: `pod watch broken for ${Math.round(stale)}s: ${this.informer.lastError ?? ''}` };
    return true;
  }

  /**
   * A tags-bucket key changed (a tag moved or vanished): digests run by pods whose spec names
   * that tag are looked at again (spec_differs), written only if their entry changed.
   */
  tagChanged(key: string): void {
    const touched = new Set<string>();
    for (const c of this.running.contributions()) {
      const s = c.spec;
      if (s?.tag !== undefined && !touched.has(c.digest) && tagKey({ registry: s.registry, repository: s.repository, tag: s.tag }) === key)
        touched.add(c.digest);
    }
    this.writer.touch(touched);
  }

  async #upsert(pod: KubeObject): Promise<void> {
    const key = podKey(pod.metadata);
    const images = podImages(pod);
    if (images.length === 0) return this.writer.touch(this.running.removePod(key));
    const workload = await this.owners.workloadOf(pod);
    const pullSecrets = podPullSecrets(pod);
    const contributions: Contribution[] = images.map((i) => ({ ...i, workload, pullSecrets }));
    this.writer.touch(this.running.setPod(key, contributions));
  }

  /** After a full list: entries of digests nothing runs any more go. */
  #sweep(): void {
    const live = new Set(this.running.digests());
    this.writer.touch(this.writer.storedDigests().filter((d) => !live.has(d)));
  }

  #specDiffers(c: Contribution): boolean {
    const spec = c.spec;
    if (!spec) return false;
    if (spec.digest !== undefined) return spec.digest !== c.digest;
    if (spec.tag === undefined) return false;
    const tagged = this.#o.tags.get(tagKey({ registry: spec.registry, repository: spec.repository, tag: spec.tag }));
    return tagged !== undefined && tagged !== c.digest;
  }

  #view(digest: string) {
    const v = this.running.view(digest, { specDiffers: (c) => this.#specDiffers(c), maxWorkloads: this.#o.maxWorkloads });
    if (!v) {
      this.#omitted.delete(digest);
      this.#workloads.delete(digest);
      return undefined;
    }
    if (v.omitted > 0) {
      if (!this.#omitted.has(digest)) this.#o.logger.warn({ digest, omitted: v.omitted }, 'running: workloads beyond the cap left out');
      this.#omitted.set(digest, v.omitted);
    } else this.#omitted.delete(digest);
    this.#workloads.set(digest, v.image.workloads.length + v.omitted);
    return v.image;
  }

  /** Announces written digests never announced before, one at a time, in the background. */
  #announceNew(digests: string[]): void {
    const fresh = digests.filter((d) => !this.#checked.get(d));
    if (fresh.length === 0) return;
    this.#announcing = this.#announcing.then(async () => {
      for (const digest of fresh) {
        const v = this.running.view(digest, { specDiffers: () => false, maxWorkloads: 1 });
        const image = v?.image.image;
        if (!image) continue;
        try {
          const pullSecrets = this.running.pullSecretsOf(digest);
          if (await this.#o.announce({ registry: image.registry, repository: image.repository, digest, pullSecrets })) this.announced += 1;
          this.#checked.set(digest, true, 3_600_000);
        } catch (err) {
          this.#o.logger.warn({ digest, err: (err as Error).message }, 'announcing a running digest failed; tried again when it changes');
        }
      }
    });
  }
}
