// Large stored values (report bodies, layer analyses) are kept as gzipped JSON, in chunks or
// beside a small head document; both are written and read back the same way.
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip } from 'node:zlib';
import { CorruptDocumentError } from './errors.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The JSON of `value` and its gzip. */
export async function compressJson(value: unknown): Promise<{ json: Buffer; compressed: Buffer }> {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  // Level 6 (zlib's default): reports are repetitive and shrink ~10x; higher levels cost time for little.
  return { json, compressed: await gzipAsync(json, { level: 6 }) };
}

/** What compressJson compressed; CorruptDocumentError naming `what` when it does not decompress or parse. */
export async function decompressJson(compressed: Uint8Array, what: string): Promise<unknown> {
  try {
    return JSON.parse((await gunzipAsync(compressed)).toString('utf8'));
  } catch (err) {
    throw new CorruptDocumentError(`${what} does not decompress or parse`, { cause: err });
  }
}

/**
 * decompressJson on the calling thread. For a small value read among many at once, the thread
 * pool's round trip (a zlib stream, its buffers, a callback) costs several times the inflation
 * itself. The caller keeps it to small values and yields to the event loop between batches.
 */
export function decompressJsonInPlace(compressed: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(gunzipSync(compressed).toString('utf8'));
  } catch (err) {
    throw new CorruptDocumentError(`${what} does not decompress or parse`, { cause: err });
  }
}
