// The running set: which Pods run which digests, and from it, per digest, the RunningImage the
// `running` bucket holds — its workloads (namespace, kind, name), how many of their pods run it,
// in which containers, what their spec names, and since when. Kept by pod so an update or a
// deletion replaces exactly that pod's share; the per-digest view is computed when written.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ImageRefSchema, RunningImageSchema, RunningWorkloadSchema, type RunningImage } from '@assay/proto';
import type { Workload } from './owners.ts';
import type { PodImage, PullSecretRef } from './pod-images.ts';

export interface Contribution extends PodImage {
  workload: Workload;
  /** The pod's image pull secrets (references), passed on when the digest is announced. */
  pullSecrets?: readonly PullSecretRef[];
}

export interface ViewOptions {
  /** Whether the spec asks for another digest than the one running (pinned, or a tag now elsewhere). */
  specDiffers(c: Contribution): boolean;
  /** Workloads listed per digest at most; the rest are counted in `omitted`. */
  maxWorkloads: number;
}

export interface DigestView {
  image: RunningImage;
  /** Workloads running the digest beyond `maxWorkloads`, left out of `image`. */
  omitted: number;
}

const workloadKey = (w: Workload) => `${w.namespace}/${w.kind}/${w.name}`;

export class RunningSet {
  /** Pod key (namespace/name) → what it runs. */
  readonly #pods = new Map<string, Contribution[]>();
  /** Digest → pods running it. */
  readonly #byDigest = new Map<string, Set<string>>();
  /** Digest → workload key → when first seen running it. */
  readonly #firstSeen = new Map<string, Map<string, Date>>();

  get pods(): number {
    return this.#pods.size;
  }

  get digestCount(): number {
    return this.#byDigest.size;
  }

  digests(): IterableIterator<string> {
    return this.#byDigest.keys();
  }

  podKeys(): IterableIterator<string> {
    return this.#pods.keys();
  }

  /** Every pod's share, for a change that affects some of them (a tag that moved). */
  *contributions(): IterableIterator<Contribution> {
    for (const cs of this.#pods.values()) yield* cs;
  }

  /** The pull secrets of one pod running the digest (the first found), empty when none does. */
  pullSecretsOf(digest: string): readonly PullSecretRef[] {
    for (const podKey of this.#byDigest.get(digest) ?? []) {
      const c = this.#pods.get(podKey)?.find((x) => x.digest === digest);
      if (c) return c.pullSecrets ?? [];
    }
    return [];
  }

  /** Replaces what the pod runs; returns the digests whose view may have changed. */
  setPod(key: string, contributions: Contribution[]): Set<string> {
    const touched = this.removePod(key);
    if (contributions.length === 0) return touched;
    this.#pods.set(key, contributions);
    for (const c of contributions) {
      touched.add(c.digest);
      let pods = this.#byDigest.get(c.digest);
      if (!pods) this.#byDigest.set(c.digest, (pods = new Set()));
      pods.add(key);
      let seen = this.#firstSeen.get(c.digest);
      if (!seen) this.#firstSeen.set(c.digest, (seen = new Map()));
      const wk = workloadKey(c.workload);
      if (!seen.has(wk)) seen.set(wk, new Date());
    }
    return touched;
  }

  /** Forgets the pod; returns the digests it ran. */
  removePod(key: string): Set<string> {
    const touched = new Set<string>();
    const was = this.#pods.get(key);
    if (!was) return touched;
    this.#pods.delete(key);
    for (const c of was) {
      touched.add(c.digest);
      const pods = this.#byDigest.get(c.digest);
      pods?.delete(key);
      if (pods && pods.size === 0) this.#byDigest.delete(c.digest);
    }
    return touched;
  }

  /** Keeps first-seen times of a digest's workloads from what was stored before (a restart). */
  adoptFirstSeen(stored: RunningImage): void {
    let seen = this.#firstSeen.get(stored.digest);
    if (!seen) this.#firstSeen.set(stored.digest, (seen = new Map()));
    for (const w of stored.workloads) {
      const wk = workloadKey(w);
      if (!seen.has(wk) && w.firstSeen) seen.set(wk, new Date(Number(w.firstSeen.seconds) * 1000 + Math.floor(w.firstSeen.nanos / 1e6)));
    }
  }

  /** Where the digest runs now (updated_at unset), or undefined when nothing runs it. */
  view(digest: string, opts: ViewOptions): DigestView | undefined {
    const pods = this.#byDigest.get(digest);
    if (!pods || pods.size === 0) {
      this.#firstSeen.delete(digest);
      return undefined;
    }
    type Agg = { w: Workload; pods: Set<string>; containers: Set<string>; specImages: Set<string>; differs: boolean };
    const byWorkload = new Map<string, Agg>();
    let first: Contribution | undefined;
    for (const podKey of pods) {
      for (const c of this.#pods.get(podKey) ?? []) {
        if (c.digest !== digest) continue;
        first ??= c;
        const wk = workloadKey(c.workload);
        let a = byWorkload.get(wk);
        if (!a) byWorkload.set(wk, (a = { w: c.workload, pods: new Set(), containers: new Set(), specImages: new Set(), differs: false }));
        a.pods.add(podKey);
        a.containers.add(c.container);
        a.specImages.add(c.specImage);
        a.differs ||= opts.specDiffers(c);
      }
    }
    // Workloads no longer running it lose their first-seen time.
    const seen = this.#firstSeen.get(digest) ?? new Map<string, Date>();
    for (const wk of seen.keys()) if (!byWorkload.has(wk)) seen.delete(wk);
    const sorted = [...byWorkload.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const kept = sorted.slice(0, opts.maxWorkloads);
    const image = create(RunningImageSchema, {
      digest,
      image: create(ImageRefSchema, { registry: first!.registry, repository: first!.repository, digest }),
      workloads: kept.map(([wk, a]) =>
        create(RunningWorkloadSchema, {
          namespace: a.w.namespace,
          kind: a.w.kind,
          name: a.w.name,
          pods: a.pods.size,
          containers: [...a.containers].sort(),
          specImage: [...a.specImages].sort()[0] ?? '',
          specDiffers: a.differs,
          firstSeen: timestampFromDate(seen.get(wk) ?? new Date()),
        }),
      ),
    });
    return { image, omitted: sorted.length - kept.length };
  }
}
