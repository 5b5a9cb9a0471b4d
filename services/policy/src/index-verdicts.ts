// Aggregate verdicts of image indexes. A multi-platform tag points at an index digest; each of
// its platform manifests is scanned and judged on its own. This keeps one more verdict, under the
// index digest, listing every platform's verdict: non-compliant if any platform is, pending until
// every platform is judged (admission narrows it to the platforms its runtime policy names). The
// verdict itself is built by @assay/policy-engine (indexVerdict); this keeps it written.
//
// Which platforms an index has comes from `assay.image.index` events (watcher, scanner), kept in
// the image-indexes bucket so every policy replica knows them. The aggregate is recomputed
//   - when an index is recorded (by the replica that handles the event),
//   - when any replica's mirror of the bucket sees a new index (closes the race with a platform
//     verdict written by another replica before it knew the index),
//   - after every platform verdict written (engine).
// Each recomputation reads the index's entry first, then the platform verdicts, and writes with
// compare-and-set on that entry, so the last writer always wrote from the newest platforms.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { mirrorBucket, type ConnectionState, type KvMirror } from '@assay/bus';
import { indexVerdict, outcomeChanged, verdictChanged } from '@assay/policy-engine';
import { Buckets, Compliance, digestBucketKey, ImageDiscoveredSchema, type ImageDiscovered, type Verdict } from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import type { JetStreamClient, KV } from 'nats';
import { casVerdict, readVerdict } from './verdict-bucket.ts';

export interface IndexVerdictsOptions {
  js: JetStreamClient;
  /** The verdicts bucket. */
  verdicts: KV;
  /** The image-indexes bucket. */
  indexes: KV;
  logger: Logger;
  clock?: () => Date;
  /** Publishes a verdict whose outcome changed (verdictChanged, audit). */
  announce: (verdict: Verdict, previous: Verdict | undefined) => Promise<void>;
  connection?: ConnectionState;
}

export interface IndexWrite {
  written: boolean;
  announced: boolean;
  verdict?: Verdict;
}

/** Same platform manifests (digest and platform), in any order. */
function samePlatforms(a: ImageDiscovered, b: ImageDiscovered): boolean {
  const key = (x: ImageDiscovered) =>
    JSON.stringify(x.manifests.map((m) => [m.digest, m.platform?.os, m.platform?.architecture, m.platform?.variant]).sort());
  return key(a) === key(b);
}

export class IndexVerdicts {
  readonly #o: IndexVerdictsOptions & { clock: () => Date };
  /** Platform manifest digest → digests of the indexes that list it. */
  readonly #byPlatform = new Map<string, Set<string>>();
  /** Index digest → its record (what this replica knows, mirror and own writes). */
  readonly #indexes = new Map<string, ImageDiscovered>();
  #mirror: KvMirror<ImageDiscovered> | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #background = new Set<Promise<unknown>>();

  constructor(o: IndexVerdictsOptions) {
    this.#o = { clock: () => new Date(), ...o };
  }

  /** Loads the known indexes and follows the bucket. */
  async start(): Promise<void> {
    this.#mirror = await mirrorBucket<ImageDiscovered>({
      js: this.#o.js,
      bucket: Buckets.imageIndexes.name,
      decode: (b) => fromBinary(ImageDiscoveredSchema, b),
      ...(this.#o.connection ? { connection: this.#o.connection } : {}),
      logger: this.#o.logger,
    });
    await this.#mirror.synced;
    for (const [, index] of this.#mirror.entries()) this.#remember(index);
    // Registered after the initial load: only indexes recorded from now on trigger a recomputation.
    this.#unsubscribe = this.#mirror.on('change', (c) => {
      if (c.op !== 'put') return;
      const digest = c.value.image?.digest;
      if (!digest) return;
      const known = this.#indexes.get(digest);
      this.#remember(c.value);
      if (known && samePlatforms(known, c.value)) return;
      const p = this.recompute(digest)
        .catch((err: unknown) => this.#o.logger.warn({ err, index: digest }, 'index verdict recomputation failed'))
        .finally(() => this.#background.delete(p));
      this.#background.add(p);
    });
  }

  /** Digests of the known indexes that list `platformDigest`. */
  indexesOf(platformDigest: string): string[] {
    return [...(this.#byPlatform.get(platformDigest) ?? [])];
  }

  get size(): number {
    return this.#indexes.size;
  }

  #remember(index: ImageDiscovered): void {
    const digest = index.image?.digest;
    if (!digest) return;
    const old = this.#indexes.get(digest);
    for (const m of old?.manifests ?? []) this.#byPlatform.get(m.digest)?.delete(digest);
    this.#indexes.set(digest, index);
    for (const m of index.manifests) {
      let set = this.#byPlatform.get(m.digest);
      if (!set) this.#byPlatform.set(m.digest, (set = new Set()));
      set.add(digest);
    }
  }

  /** An `assay.image.index` event: records the index (once per digest) and writes its verdict. */
  async record(msg: ImageDiscovered): Promise<IndexWrite> {
    const digest = msg.image?.digest ?? '';
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`index event without a valid digest: ${JSON.stringify(digest)}`);
    const manifests = msg.manifests.filter((m) => m.digest !== '' && m.digest !== digest);
    const index = create(ImageDiscoveredSchema, { ...msg, manifests });
    const key = digestBucketKey(digest);
    const entry = await this.#o.indexes.get(key);
    const stored =
      entry && entry.operation === 'PUT' && entry.value.length > 0 ? fromBinary(ImageDiscoveredSchema, entry.value) : undefined;
    // An index digest is immutable: its platforms never change, so the first record stands.
    if (!stored) {
      await this.#o.indexes.put(key, toBinary(ImageDiscoveredSchema, index));
      this.#remember(index);
    } else {
      this.#remember(stored);
    }
    return this.recompute(digest, msg.meta?.id);
  }

  /** A platform manifest's verdict was written: the indexes listing it are recomputed. */
  async platformChanged(platformDigest: string, causationId?: string): Promise<void> {
    for (const index of this.indexesOf(platformDigest)) await this.recompute(index, causationId);
  }

  /** Recomputes and writes the verdict of a known index. */
  async recompute(indexDigest: string, causationId?: string): Promise<IndexWrite> {
    const index = this.#indexes.get(indexDigest);
    // No runnable platform: nothing to aggregate (the scanner reports such an index as a failed scan).
    if (!index || index.manifests.length === 0) return { written: false, announced: false };
    let next: Verdict | undefined;
    const w = await casVerdict(this.#o.verdicts, indexDigest, async (prev) => {
      const platforms = new Map<string, Verdict>();
      await Promise.all(
        index.manifests.map(async (m) => {
          const v = (await readVerdict(this.#o.verdicts, m.digest))?.verdict;
          if (v) platforms.set(m.digest, v);
        }),
      );
      next = indexVerdict(index, platforms, this.#o.clock(), causationId);
      return verdictChanged(prev, next) ? next : undefined;
    });
    const announced = w.written && next !== undefined && outcomeChanged(w.previous, next);
    if (announced) await this.#o.announce(next!, w.previous);
    if (w.written)
      this.#o.logger.info(
        { index: indexDigest, compliance: Compliance[next!.compliance], platforms: index.manifests.length },
        'index verdict written',
      );
    return { written: w.written, announced, ...(next ? { verdict: next } : {}) };
  }

  /** Waits for recomputations started by the mirror (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.settled();
    await this.#mirror?.stop();
  }
}
