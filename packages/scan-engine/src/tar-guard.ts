// tar-stream reads a PAX extended header ('x', 'g') or a GNU long name or link ('L', 'K') into
// memory whole before it reports the entry the header describes: a hostile layer could make it
// hold gigabytes. This follows the tar's 512-byte block structure as the inflated bytes pass and
// refuses such a header entry larger than the limit before tar-stream starts buffering it.
const BLOCK = 512;
const METADATA_TYPES = new Set(['x', 'g', 'L', 'K']);

/** The size field of a header: octal digits, or GNU base-256 when the top bit is set. */
function entrySize(header: Buffer): number | undefined {
  const field = header.subarray(124, 136);
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

export class TarHeaderGuard {
  readonly #limit: number;
  #partial: Buffer | undefined;
  /** Bytes of the current entry's data (padded to a block) still to pass. */
  #skip = 0;
  /** Not a tar we can follow (tar-stream will say so): stop watching. */
  #lost = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Follows `chunk`; returns a description of an oversized metadata entry, else undefined. */
  push(chunk: Buffer): { type: string; size: number } | undefined {
    let off = 0;
    while (off < chunk.length && !this.#lost) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - off);
        this.#skip -= n;
        off += n;
        continue;
      }
      let header: Buffer;
      const need = BLOCK - (this.#partial?.length ?? 0);
      if (chunk.length - off < need) {
        this.#partial = Buffer.concat([this.#partial ?? Buffer.alloc(0), chunk.subarray(off)]);
        return undefined;
      }
      header = this.#partial ? Buffer.concat([this.#partial, chunk.subarray(off, off + need)]) : chunk.subarray(off, off + BLOCK);
      this.#partial = undefined;
      off += need;
      if (header.every((b) => b === 0)) continue; // end-of-archive blocks
      const size = entrySize(header);
      if (size === undefined) {
        this.#lost = true;
        break;
      }
      const type = String.fromCharCode(header[156]!);
      if (METADATA_TYPES.has(type) && size > this.#limit) return { type, size };
      this.#skip = Math.ceil(size / BLOCK) * BLOCK;
    }
    return undefined;
  }
}
