// Uncompressed ustar streams generated on the fly for the pathological benchmark: nothing is
// written to disk and the whole tar is never held in memory, so a million-entry or multi-GB
// layer costs only the bytes in flight. Small entries are packed into 1 MiB chunks (one chunk per
// entry would make the stream machinery, not the consumer, the thing measured).
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

export interface GenEntry {
  path: string;
  /** Content, or the size of a file whose bytes repeat `fill` (big files, no copy). */
  content: Buffer | { size: number; fill: Buffer };
}

const CHUNK = 1 << 20;

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

/** A ustar header for a regular file (paths under 100 bytes, which is all this benchmark makes). */
export function fileHeader(path: string, size: number): Buffer {
  if (Buffer.byteLength(path) >= 100) throw new Error(`path too long for this generator: ${path}`);
  const h = Buffer.alloc(512);
  h.write(path, 0, 100, 'utf8');
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 1_700_000_000);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function* chunks(entries: Iterable<GenEntry>): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(CHUNK);
  let n = 0;
  const flush = function* () {
    if (n > 0) yield buf.subarray(0, n);
    buf = Buffer.allocUnsafe(CHUNK);
    n = 0;
  };
  const put = function* (b: Buffer) {
    if (n + b.length > CHUNK) yield* flush();
    if (b.length > CHUNK) {
      yield b;
      return;
    }
    b.copy(buf, n);
    n += b.length;
  };
  const pad = (size: number) => (512 - (size % 512)) % 512;
  for (const e of entries) {
    if (Buffer.isBuffer(e.content)) {
      yield* put(fileHeader(e.path, e.content.length));
      yield* put(e.content);
      const p = pad(e.content.length);
      if (p) yield* put(Buffer.alloc(p));
      continue;
    }
    const { size, fill } = e.content;
    yield* put(fileHeader(e.path, size));
    yield* flush();
    let left = size;
    while (left > 0) {
      const take = Math.min(left, fill.length);
      yield take === fill.length ? fill : fill.subarray(0, take);
      left -= take;
    }
    const p = pad(size);
    if (p) yield* put(Buffer.alloc(p));
  }
  yield* put(Buffer.alloc(1024)); // end of archive
  yield* flush();
}

/** A byte stream (not object mode) of the tar holding `entries`, generated as it is read. */
export function tarOf(entries: Iterable<GenEntry>): Readable {
  return Readable.from(chunks(entries), { objectMode: false, highWaterMark: CHUNK });
}

/**
 * A gzip layer of `files` files of `sizeEach` bytes, each `block` repeated, made without
 * compressing anything at read time: gzip members concatenate (the inflated stream is the
 * members' contents in order), so the block is deflated once and its member repeated between
 * members holding the tar headers. `sizeEach` must be a multiple of the block's length and of 512.
 */
export function bigGzipLayer(files: number, sizeEach: number, block: Buffer): Readable {
  if (sizeEach % block.length !== 0 || sizeEach % 512 !== 0) throw new Error('sizeEach must be a multiple of the block and of 512');
  const gzBlock = gzipSync(block);
  function* members(): Generator<Buffer> {
    for (let f = 0; f < files; f++) {
      yield gzipSync(fileHeader(`opt/blobs/big${f}.bin`, sizeEach));
      for (let left = sizeEach; left > 0; left -= block.length) yield gzBlock;
    }
    yield gzipSync(Buffer.alloc(1024));
  }
  return Readable.from(members(), { objectMode: false, highWaterMark: CHUNK });
}
