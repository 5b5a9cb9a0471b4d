// One pass over one layer blob: the (already digest-verified) blob stream → compression found by
// magic bytes (gzip 1f8b, zstd 28b52ffd, otherwise a plain tar) → zlib with 1 MiB chunks → a
// counting, hashing stage (the diff_id, and the inflated-bytes limit) → tar-stream's extractor.
// Nothing is buffered beyond a chunk or a file an analyzer asked for; nothing touches the disk.
// Entry names are cleaned (paths.ts); an entry that would escape the root is skipped with a
// warning. Limits (limits.ts) abort the layer with a LayerLimitError.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import tar from 'tar-stream';
import { cleanPath } from './paths.ts';
import { TarHeaderGuard } from './tar-guard.ts';
import { formatBytes, LayerFormatError, LayerLimitError, type LayerLimits } from './limits.ts';

export type Compression = 'gzip' | 'zstd' | 'none';
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface LayerEntryHeader {
  /** Cleaned, layer-relative, no leading slash. */
  readonly path: string;
  readonly type: EntryType;
  readonly size: number;
  readonly mode: number;
  /** Symlink target as written (never followed); hardlink target cleaned. */
  readonly linkname?: string;
}

/** Called for each safe entry; may read `body` (fully) or leave it (it is drained afterwards). */
export type EntryHandler = (header: LayerEntryHeader, body: Readable) => Promise<void> | void;

export interface LayerStreamOptions {
  layerDigest: string;
  /** diff_id the image config states: the inflated tar must hash to it. */
  expectedDiffId?: string | undefined;
  limits: LayerLimits;
  /** Inflated bytes so far, called now and then (progress). */
  onProgress?: (inflatedBytes: number) => void;
  signal?: AbortSignal | undefined;
  /** Each inflated tar chunk, in order, as it passes (the malware scanner's tee). */
  onInflated?: ((chunk: Buffer) => void) | undefined;
}

export interface LayerStreamResult {
  compression: Compression;
  /** sha256 of the inflated tar. */
  diffId: string;
  inflatedBytes: number;
  entries: number;
  warnings: string[];
}

const CHUNK = 1 << 20;

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** The inflating stage for a compression (1 MiB chunks); none for a plain tar. */
function decompressorFor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip({ chunkSize: CHUNK });
  if (compression === 'zstd') return createZstdDecompress({ chunkSize: CHUNK });
  return undefined;
}

/** The first `n` bytes of a stream, and a stream that still yields everything. */
async function peek(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      src.off('readable', onReadable);
      src.off('end', onEnd);
      src.off('error', onError);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onEnd = () => {
      cleanup();
      const all = Buffer.concat(chunks);
      resolve({ head: all.subarray(0, n), stream: Readable.from(all.length ? [all] : []) });
    };
    const onReadable = () => {
      let c: Buffer | null;
      while (length < n && (c = src.read() as Buffer | null) !== null) {
        chunks.push(c);
        length += c.length;
      }
      if (length >= n) {
        cleanup();
        const all = Buffer.concat(chunks);
        src.unshift(all);
        resolve({ head: all.subarray(0, n), stream: src });
      }
    };
    src.on('readable', onReadable);
    src.on('end', onEnd);
    src.on('error', onError);
  });
}

function entryType(t: tar.Header['type']): EntryType {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Reads an entry's content whole (the caller has checked its size against a limit). */
export async function readEntry(body: Readable, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (off + chunk.length > size) throw new Error('entry is longer than its header says');
    chunk.copy(buf, off);
    off += chunk.length;
  }
  return off === size ? buf : buf.subarray(0, off);
}

/**
 * Streams a layer through `onEntry`, entry by entry, in one pass. Rejects with the source's own
 * error (DigestMismatchError, a network error), a LayerLimitError, or a LayerFormatError.
 */
export async function streamLayer(source: Readable, opts: LayerStreamOptions, onEntry: EntryHandler): Promise<LayerStreamResult> {
  const { layerDigest, limits } = opts;
  const { head, stream: src } = await peek(source, 4);
  const compression = detectCompression(head);
  const decompressor = decompressorFor(compression);

  const hash = createHash('sha256');
  let inflated = 0;
  let lastProgress = 0;
  const bombError = () => new LayerLimitError(layerDigest, 'maxInflatedBytes', `inflates past ${formatBytes(limits.maxInflatedBytes)}`);
  const headers = new TarHeaderGuard(limits.maxHeaderBytes);
  const counter = new Transform({
    highWaterMark: CHUNK,
    transform(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      if (inflated > limits.maxInflatedBytes) return cb(bombError());
      const big = headers.push(chunk);
      if (big) {
        return cb(
          new LayerLimitError(
            layerDigest,
            'maxHeaderBytes',
            `has a ${big.type === 'x' || big.type === 'g' ? 'PAX' : 'GNU long name'} header of ${big.size} bytes, over ${formatBytes(limits.maxHeaderBytes)}`,
          ),
        );
      }
      hash.update(chunk);
      opts.onInflated?.(chunk);
      if (opts.onProgress && inflated - lastProgress >= 64 * CHUNK) {
        lastProgress = inflated;
        opts.onProgress(inflated);
      }
      cb(null, chunk);
    },
  });
  const extract = tar.extract();

  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    extract.destroy(failure);
  };
  src.on('error', (err) => fail(err));
  decompressor?.on('error', (err) =>
    fail(new LayerFormatError(layerDigest, `is not valid ${compression} (${err.message})`, { cause: err })),
  );
  counter.on('error', (err) => fail(err));
  const onAbort = () => fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('scan aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (decompressor) src.pipe(decompressor).pipe(counter);
  else src.pipe(counter);
  counter.pipe(extract as unknown as NodeJS.WritableStream);

  const warnings: string[] = [];
  let entries = 0;
  try {
    for await (const entry of extract) {
      entries++;
      if (entries > limits.maxEntries) throw new LayerLimitError(layerDigest, 'maxEntries', `has more than ${limits.maxEntries} entries`);
      const h = entry.header;
      const size = h.size ?? 0;
      if (size + 512 > limits.maxInflatedBytes) {
        // The header alone promises more than the budget: no need to inflate it to know.
        throw bombError();
      }
      if (Buffer.byteLength(h.name) > limits.maxPathLength) {
        throw new LayerLimitError(layerDigest, 'maxPathLength', `has an entry path longer than ${limits.maxPathLength} bytes`);
      }
      const type = entryType(h.type);
      const clean = cleanPath(h.name);
      if (!clean.ok) {
        warnings.push(`skipped entry ${JSON.stringify(h.name.slice(0, 200))}: ${clean.reason}`);
        entry.resume();
        continue;
      }
      let linkname: string | undefined;
      if (type === 'hardlink') {
        const target = cleanPath(h.linkname ?? '');
        if (!target.ok) {
          warnings.push(`skipped hardlink ${JSON.stringify(clean.path)}: its target ${target.reason}`);
          entry.resume();
          continue;
        }
        linkname = target.path;
      } else if (type === 'symlink') {
        linkname = h.linkname ?? '';
      }
      if (clean.path === '' && type !== 'dir') {
        warnings.push(`skipped ${type} entry naming the layer root`);
        entry.resume();
        continue;
      }
      await onEntry(
        { path: clean.path, type, size: type === 'file' ? size : 0, mode: h.mode ?? 0, ...(linkname !== undefined ? { linkname } : {}) },
        entry as unknown as Readable,
      );
      entry.resume();
    }
  } catch (err) {
    fail(err as Error);
    throw wrapTarError(layerDigest, failure ?? (err as Error));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (failure) {
      src.destroy();
      decompressor?.destroy();
      counter.destroy();
    }
  }
  if (failure) throw wrapTarError(layerDigest, failure);
  if (entries === 0 && inflated === 0) throw new LayerFormatError(layerDigest, 'is empty (not a tar archive)');
  opts.onProgress?.(inflated);
  const diffId = `sha256:${hash.digest('hex')}`;
  if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== diffId) {
    throw new LayerFormatError(layerDigest, `inflates to ${diffId}, but the image config says its diff_id is ${opts.expectedDiffId}`);
  }
  return { compression, diffId, inflatedBytes: inflated, entries, warnings };
}

/**
 * The inflated tar of a layer blob (gzip, zstd or plain, by magic bytes), capped at
 * `maxInflatedBytes`: for a second reader of a layer (the malware scanner's per-file pass).
 */
export async function inflateLayer(source: Readable, layerDigest: string, maxInflatedBytes: number): Promise<Readable> {
  const { head, stream: src } = await peek(source, 4);
  const compression = detectCompression(head);
  const decompressor = decompressorFor(compression);
  let inflated = 0;
  const counter = new Transform({
    highWaterMark: CHUNK,
    transform(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      if (inflated > maxInflatedBytes)
        return cb(new LayerLimitError(layerDigest, 'maxInflatedBytes', `inflates past ${formatBytes(maxInflatedBytes)}`));
      cb(null, chunk);
    },
  });
  src.on('error', (err) => counter.destroy(err));
  decompressor?.on('error', (err) =>
    counter.destroy(new LayerFormatError(layerDigest, `is not valid ${compression} (${err.message})`, { cause: err })),
  );
  counter.on('close', () => {
    src.destroy();
    decompressor?.destroy();
  });
  if (decompressor) src.pipe(decompressor).pipe(counter);
  else src.pipe(counter);
  return counter;
}

/** tar-stream's own errors ("Invalid header", "Unexpected end of data") say the layer is not a tar. */
function wrapTarError(layerDigest: string, err: Error): Error {
  if (err instanceof LayerLimitError || err instanceof LayerFormatError) return err;
  if (/Invalid header|Unexpected end of data|Header exceeds max size|Invalid tar header/i.test(err.message)) {
    return new LayerFormatError(layerDigest, `is not a valid tar archive (${err.message})`, { cause: err });
  }
  return err;
}
