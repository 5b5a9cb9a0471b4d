// An rpm header blob as the rpm database stores it (no lead, no 8-byte header magic):
//   int32 il (index entries), int32 dl (data bytes), il × {tag, type, offset, count} (all
//   big-endian int32), then dl bytes of data. Region tags (61–63) only delimit the signed
//   immutable region; every tag we read is a plain index entry, so they are skipped.
import type { LayerContext, Package } from '../analyzer.ts';
import { purl } from '../purl.ts';
import { distroQualifier, osPurlNamespace } from './common.ts';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  VENDOR: 1011,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
/** Sizes per element (strings are NUL-terminated, variable). */
const TYPE_SIZE: Record<number, number> = { 0: 0, 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

export interface RpmHeaderEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

/** Parsed header: tag → raw entry, with typed getters. */
export class RpmHeader {
  readonly #data: Buffer;
  readonly #entries = new Map<number, RpmHeaderEntry>();

  constructor(blob: Buffer) {
    if (blob.length < 8) throw new Error('rpm header: shorter than 8 bytes');
    const il = blob.readInt32BE(0);
    const dl = blob.readInt32BE(4);
    // rpm's own limits (hdrblobInit): 0x0000ffff entries, 256 MiB data.
    if (il < 1 || il > 0xffff || dl < 0 || dl > 0x0fffffff) throw new Error(`rpm header: bad sizes il=${il} dl=${dl}`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.length) throw new Error(`rpm header: truncated (${blob.length} < ${dataStart + dl} bytes)`);
    this.#data = blob.subarray(dataStart, dataStart + dl);
    for (let i = 0; i < il; i++) {
      const o = 8 + i * 16;
      const e = {
        tag: blob.readInt32BE(o),
        type: blob.readUInt32BE(o + 4),
        offset: blob.readInt32BE(o + 8),
        count: blob.readUInt32BE(o + 12),
      };
      if (e.tag >= 61 && e.tag <= 63) continue; // region markers
      if (e.offset < 0 || e.offset > dl) throw new Error(`rpm header: tag ${e.tag} offset ${e.offset} outside data`);
      const size = TYPE_SIZE[e.type];
      if (size !== undefined && e.offset + size * e.count > dl) throw new Error(`rpm header: tag ${e.tag} overruns data`);
      this.#entries.set(e.tag, e);
    }
  }

  has(tag: number): boolean {
    return this.#entries.has(tag);
  }

  #strings(e: RpmHeaderEntry, max: number): string[] {
    const out: string[] = [];
    let p = e.offset;
    for (let i = 0; i < Math.min(e.count, max); i++) {
      const end = this.#data.indexOf(0, p);
      if (end < 0) throw new Error(`rpm header: tag ${e.tag}: unterminated string`);
      out.push(this.#data.toString('utf8', p, end));
      p = end + 1;
    }
    return out;
  }

  string(tag: number): string | undefined {
    const e = this.#entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING && e.type !== TYPE.STRING_ARRAY) return undefined;
    return this.#strings(e, 1)[0];
  }

  stringArray(tag: number): string[] {
    const e = this.#entries.get(tag);
    if (!e) return [];
    if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING) return [];
    return this.#strings(e, e.count);
  }

  ints(tag: number): number[] {
    const e = this.#entries.get(tag);
    if (!e) return [];
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      switch (e.type) {
        case TYPE.INT32:
          out.push(this.#data.readInt32BE(e.offset + 4 * i));
          break;
        case TYPE.INT16:
          out.push(this.#data.readUInt16BE(e.offset + 2 * i));
          break;
        case TYPE.INT8:
        case TYPE.CHAR:
          out.push(this.#data.readUInt8(e.offset + i));
          break;
        case TYPE.INT64:
          out.push(Number(this.#data.readBigInt64BE(e.offset + 8 * i)));
          break;
        default:
          return out;
      }
    }
    return out;
  }

  /** Installed file paths (layer-relative): DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES. */
  files(): string[] {
    const base = this.stringArray(RPMTAG.BASENAMES);
    if (base.length) {
      const dirs = this.stringArray(RPMTAG.DIRNAMES);
      const idx = this.ints(RPMTAG.DIRINDEXES);
      return base.map((b, i) => `${dirs[idx[i] ?? -1] ?? ''}${b}`.replace(/^\/+/, ''));
    }
    return this.stringArray(RPMTAG.OLDFILENAMES).map((f) => f.replace(/^\/+/, ''));
  }
}

/** `name-version-release.src.rpm` → its parts (undefined when it does not have that shape). */
export function splitSourceRpm(s: string): { name: string; version: string; release: string } | undefined {
  const base = s.replace(/\.(no)?src\.rpm$/, '');
  if (base === s) return undefined;
  const r = base.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = base.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  return { name: base.slice(0, v), version: base.slice(v + 1, r), release: base.slice(r + 1) };
}

export interface RpmPackageResult {
  pkg?: Package;
  files: string[];
}

/** A header blob → Package (undefined for gpg-pubkey pseudo-packages). Throws on a corrupt blob. */
export function rpmHeaderToPackage(blob: Buffer, ctx: LayerContext): RpmPackageResult {
  const h = new RpmHeader(blob);
  const name = h.string(RPMTAG.NAME);
  const version = h.string(RPMTAG.VERSION);
  const release = h.string(RPMTAG.RELEASE);
  if (!name || version === undefined) throw new Error('rpm header without NAME or VERSION');
  if (name === 'gpg-pubkey') return { files: [] };
  const epoch = h.ints(RPMTAG.EPOCH)[0];
  const arch = h.string(RPMTAG.ARCH);
  const license = h.string(RPMTAG.LICENSE);
  const src = splitSourceRpm(h.string(RPMTAG.SOURCERPM) ?? '');
  const pkg: Package = {
    name,
    version,
    type: 'rpm',
    purl: purl({
      type: 'rpm',
      namespace: osPurlNamespace('rpm', ctx.os?.family),
      name,
      version: release ? `${version}-${release}` : version,
      qualifiers: { arch, epoch: epoch ? String(epoch) : undefined, distro: distroQualifier(ctx) },
    }),
    ...(epoch ? { epoch } : {}),
    ...(release ? { release } : {}),
    ...(arch ? { arch } : {}),
    ...(src ? { srcName: src.name, srcVersion: src.version, srcRelease: src.release, ...(epoch ? { srcEpoch: epoch } : {}) } : {}),
    ...(license ? { licences: [license] } : {}),
  };
  return { pkg, files: h.files() };
}
