// A decompressed database is bounded: a gzip bomb posing as a database layer (or file) fails
// with a clear error instead of filling the disk.
import { Transform } from 'node:stream';

/** Largest database accepted once decompressed, by default (OSV for every ecosystem is far below). */
export const DEFAULT_MAX_DATABASE_BYTES = 8 * 1024 ** 3;

export class DatabaseTooLargeError extends Error {
  constructor(what: string, limit: number) {
    super(`${what} decompresses to more than ${limit} bytes; refused (a decompression bomb, or raise the limit)`);
    this.name = 'DatabaseTooLargeError';
  }
}

/** Passes bytes through until more than `limit` have gone by, then fails the pipeline. */
export function byteLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) cb(new DatabaseTooLargeError(what, limit));
      else cb(null, chunk);
    },
  });
}
