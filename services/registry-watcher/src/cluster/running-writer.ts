// Writes the `running` bucket (digest → RunningImage, protobuf): only digests whose view changed,
// gathered over a short debounce (a rollout changes dozens of pods within a second; the bucket
// gets one write per digest), only when the value differs from what is stored (updated_at aside,
// so a re-list or a restart rewrites nothing), and the key deleted when nothing runs the digest.
// Writes are serialised: one flush at a time, the next picks up what changed meanwhile.
import { fromBinary, toBinary, clone } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { KV } from 'nats';
import { digestBucketKey, RunningImageSchema, type RunningImage } from '@assay/proto';
import type { Logger } from '@assay/telemetry';

export interface RunningWriterOptions {
  kv: KV;
  /** The digest's current value (updated_at unset), or undefined when nothing runs it. */
  view(digest: string): RunningImage | undefined;
  logger: Logger;
  /** Changes gathered this long before they are written (ms). Default 500. */
  debounceMs?: number;
  /** Called after each flush with the digests written (put, not deleted). */
  written?(digests: string[]): void;
}

/** The bytes compared: the value without its updated_at. */
function fingerprint(image: RunningImage): string {
  const c = clone(RunningImageSchema, image);
  c.updatedAt = undefined;
  return Buffer.from(toBinary(RunningImageSchema, c)).toString('base64');
}

export class RunningWriter {
  readonly #o: RunningWriterOptions;
  /** Digest → fingerprint of what the bucket holds for it. */
  readonly #stored = new Map<string, string>();
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #stopped = false;
  puts = 0;
  deletes = 0;

  constructor(opts: RunningWriterOptions) {
    this.#o = opts;
  }

  /** Reads what the bucket holds (after a restart: nothing is rewritten that did not change). */
  async load(): Promise<RunningImage[]> {
    const out: RunningImage[] = [];
    // The key listing is read to its end first: a get awaited while its iterator is open ends
    // the listing after the first key (nats.js), and entries never loaded are never swept.
    const keys: string[] = [];
    for await (const key of await this.#o.kv.keys()) keys.push(key);
    for (const key of keys) {
      const e = await this.#o.kv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      try {
        const image = fromBinary(RunningImageSchema, e.value);
        if (digestBucketKey(image.digest) !== key) continue;
        this.#stored.set(image.digest, fingerprint(image));
        out.push(image);
      } catch (err) {
        this.#o.logger.warn({ key, err: (err as Error).message }, 'running bucket: an entry that does not decode; it will be replaced');
        this.#stored.set(key, '');
      }
    }
    return out;
  }

  /** Digests held in the bucket (as far as this writer knows). */
  storedDigests(): string[] {
    return [...this.#stored.keys()];
  }

  /** Marks digests changed; they are written after the debounce. */
  touch(digests: Iterable<string>): void {
    for (const d of digests) this.#dirty.add(d);
    if (this.#dirty.size === 0 || this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.debounceMs ?? 500);
  }

  /** Writes what changed now; resolves when written (errors are logged and the digests retried). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const batch = [...this.#dirty];
    this.#dirty.clear();
    const written: string[] = [];
    const failed: string[] = [];
    for (const digest of batch) {
      try {
        if (await this.#write(digest)) written.push(digest);
      } catch (err) {
        failed.push(digest);
        this.#o.logger.warn({ digest, err: (err as Error).message }, 'running bucket write failed; retrying');
      }
    }
    if (written.length) this.#o.written?.(written);
    if (failed.length && !this.#stopped) this.touch(failed);
  }

  /** True when the digest was put (a new or changed value). */
  async #write(digest: string): Promise<boolean> {
    const key = digestBucketKey(digest);
    const image = this.#o.view(digest);
    if (!image) {
      if (!this.#stored.has(digest) && !this.#stored.has(key)) return false;
      await this.#o.kv.delete(key);
      this.#stored.delete(digest);
      this.#stored.delete(key);
      this.deletes += 1;
      return false;
    }
    const fp = fingerprint(image);
    if (this.#stored.get(digest) === fp) return false;
    const value = clone(RunningImageSchema, image);
    value.updatedAt = timestampNow();
    await this.#o.kv.put(key, toBinary(RunningImageSchema, value));
    this.#stored.set(digest, fp);
    this.#stored.delete(key);
    this.puts += 1;
    return true;
  }

  /** Stops the debounce timer, after writing what is pending. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush().catch(() => undefined);
    this.#stopped = true;
  }
}
