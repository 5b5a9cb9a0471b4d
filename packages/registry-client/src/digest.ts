// Content verification: every byte read from a registry is hashed and compared with the digest
// it was asked for, so a registry (or anything between) cannot substitute content.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { parseDigest } from '@assay/image-ref';
import { DigestMismatchError } from './errors.ts';

export function digestOf(data: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

export interface VerifyOptions {
  /** Exact size the content must have (a descriptor's `size`, or Content-Length). */
  expectedSize?: number;
  /** Fail as soon as more than this many bytes arrive. */
  maxBytes?: number;
}

/**
 * A pass-through stream that hashes what flows through it and fails at the end when the digest
 * (or size) is not the expected one, or as soon as the size limit is exceeded. Nothing is buffered.
 */
export class DigestVerifier extends Transform {
  readonly expected: string;
  readonly #hash: Hash;
  readonly #algorithm: string;
  readonly #opts: VerifyOptions;
  #bytes = 0;

  constructor(expected: string, opts: VerifyOptions = {}) {
    super();
    this.expected = expected;
    this.#algorithm = parseDigest(expected).algorithm;
    this.#hash = createHash(this.#algorithm);
    this.#opts = opts;
  }

  get bytes(): number {
    return this.#bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    const limit = Math.min(this.#opts.maxBytes ?? Infinity, this.#opts.expectedSize ?? Infinity);
    if (this.#bytes > limit) {
      cb(new DigestMismatchError(`blob ${this.expected}: more than ${limit} bytes received`, this.expected));
      return;
    }
    this.#hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#opts.expectedSize !== undefined && this.#bytes !== this.#opts.expectedSize) {
      cb(
        new DigestMismatchError(`blob ${this.expected}: ${this.#bytes} bytes received, ${this.#opts.expectedSize} expected`, this.expected),
      );
      return;
    }
    const actual = `${this.#algorithm}:${this.#hash.digest('hex')}`;
    if (actual !== this.expected) {
      cb(new DigestMismatchError(`blob ${this.expected}: content has digest ${actual}`, this.expected, actual));
      return;
    }
    cb();
  }
}
