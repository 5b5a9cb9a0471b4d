// BSON values as the server sees them: decoding in two forms, MongoDB's comparison order, a
// canonical key for equality (unique indexes, distinct) and mongod's way of printing a value
// in error messages.
//
// Two decoded forms exist because the query engine (mingo) wants plain JS numbers, while the
// client must get back the exact BSON types it stored (int32 vs double vs int64):
// - "view": BSON.deserialize with defaults; int32/double/safe int64 become numbers. mingo
//   matches, sorts and updates on this form.
// - "typed": promoteValues:false; Int32/Double/Long wrappers keep the original numeric type.
//   Documents sent back to the client are built from this form (or retyped against it).
import { Binary, BSON, Decimal128, Double, Int32, Long, ObjectId, Timestamp, type Document } from 'bson';

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
/** mongod accepts command bodies up to 16 MiB + 16 KiB, room for a max-size document plus the command around it. */
export const MAX_BSON_INTERNAL_SIZE = MAX_BSON_OBJECT_SIZE + 16 * 1024;

/**
 * mingo compares objects of a custom class by their toString(), and Binary.toString() decodes
 * the bytes as UTF-8, so distinct binaries with invalid UTF-8 (digests, hashes) would compare
 * equal. Views carry this subclass instead, whose toString() is exact; it serialises as Binary.
 */
class ViewBinary extends Binary {
  override toString(encoding?: 'hex' | 'base64' | 'utf8' | 'utf-8'): string {
    return encoding ? super.toString(encoding) : `${this.sub_type}:${super.toString('base64')}`;
  }
}

function exactBinaries(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = exactBinaries(v[i]);
    return v;
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) v[k] = exactBinaries(v[k]);
    return v;
  }
  if (v instanceof Binary && !(v instanceof ViewBinary)) return new ViewBinary(v.buffer.subarray(0, v.position), v.sub_type);
  return v;
}

export function decodeView(buf: Uint8Array): Document {
  return exactBinaries(BSON.deserialize(buf)) as Document;
}

export function decodeTyped(buf: Uint8Array): Document {
  return BSON.deserialize(buf, { promoteValues: false });
}

export function bsonType(v: unknown): string | undefined {
  if (v !== null && typeof v === 'object' && '_bsontype' in v) return (v as { _bsontype: string })._bsontype;
  return undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Gives numbers in `value` (a view-form result of an update or projection) the BSON numeric type
 * the same path had in `ref` (the typed form of the original document), the way mongod keeps a
 * field's type through `$inc`: int64 stays int64, double stays double, and int32 that overflows
 * becomes int64. Array holes (from `$set: {'a.5': x}`) become null, as mongod pads arrays.
 */
export function retype(value: unknown, ref: unknown): unknown {
  if (typeof value === 'number') {
    const t = bsonType(ref);
    if (t === 'Double') return new Double(value);
    if (t === 'Long' || t === 'Int32') {
      if (!Number.isInteger(value)) return value;
      if (t === 'Int32' && value >= -(2 ** 31) && value < 2 ** 31) return value;
      if (Number.isSafeInteger(value)) return Long.fromNumber(value);
    }
    return value;
  }
  if (Array.isArray(value)) {
    const refArr = Array.isArray(ref) ? (ref as unknown[]) : [];
    // Same length: elements kept their positions. Otherwise ($push, $pull, $slice) a number
    // takes the type of an equal number in the old array, if there was one.
    const byValue = new Map<number, unknown>();
    if (refArr.length !== value.length) {
      for (const r of refArr) {
        const n = numericValue(r);
        if (n !== undefined && !byValue.has(n)) byValue.set(n, r);
      }
    }
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = (value as unknown[])[i];
      const r = refArr.length === value.length ? refArr[i] : typeof v === 'number' ? byValue.get(v) : undefined;
      out[i] = v === undefined ? null : retype(v, r);
    }
    return out;
  }
  if (isPlainObject(value)) {
    const refObj = isPlainObject(ref) ? ref : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = retype(v, refObj[k]);
    return out;
  }
  return value;
}

/** Converts typed wrappers to plain numbers (the view form) for values that arrive typed. */
export function promote(value: unknown): unknown {
  const t = bsonType(value);
  if (t === 'Int32' || t === 'Double') return (value as Int32 | Double).valueOf();
  if (t === 'Long') {
    const l = value as Long;
    const n = l.toNumber();
    return Number.isSafeInteger(n) ? n : l;
  }
  if (Array.isArray(value)) return value.map(promote);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = promote(v);
    return out;
  }
  return value;
}

function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = bsonType(v);
  if (t === 'Int32' || t === 'Double') return (v as Int32 | Double).valueOf();
  if (t === 'Long') return (v as Long).toNumber();
  if (t === 'Decimal128') return Number.parseFloat((v as Decimal128).toString());
  return undefined;
}

/** MongoDB's canonical type order for comparisons and sorting (MinKey lowest, MaxKey highest). */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  if (numericValue(v) !== undefined) return 3;
  if (typeof v === 'string') return 4;
  if (typeof v === 'boolean') return 9;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  if (Array.isArray(v)) return 6;
  switch (bsonType(v)) {
    case 'MinKey':
      return 1;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    case 'MaxKey':
      return 13;
    default:
      return 5; // embedded document (and anything else object-like)
  }
}

function cmp<T extends number | string | bigint>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two values in MongoDB's BSON order (type rank first, then value). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return cmp(ra, rb);
  switch (ra) {
    case 3:
      return cmp(numericValue(a)!, numericValue(b)!);
    case 4:
      return cmp(String(a), String(b));
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c) return c;
      }
      return cmp(xa.length, xb.length);
    }
    case 5: {
      const ea = Object.entries(a as object);
      const eb = Object.entries(b as object);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const [ka, va] = ea[i]!;
        const [kb, vb] = eb[i]!;
        const c = typeRank(va) - typeRank(vb) || cmp(ka, kb) || compareValues(va, vb);
        if (c) return Math.sign(c);
      }
      return cmp(ea.length, eb.length);
    }
    case 7: {
      const ba = a as Binary;
      const bb = b as Binary;
      return cmp(ba.length(), bb.length()) || cmp(ba.sub_type, bb.sub_type) || Buffer.compare(ba.buffer, bb.buffer);
    }
    case 8:
      return cmp((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case 9:
      return cmp(Number(a), Number(b));
    case 10:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return cmp(String(a), String(b));
    default:
      return 0;
  }
}

/** A string equal for values MongoDB considers equal (1, 1.0 and NumberLong(1) alike). */
export function keyString(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  const n = numericValue(v);
  if (n !== undefined) {
    if (bsonType(v) === 'Long') return `n:${(v as Long).toString()}`;
    return `n:${Object.is(n, -0) ? 0 : n}`;
  }
  if (typeof v === 'string') return `s:${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (v instanceof Date) return `t:${v.getTime()}`;
  if (v instanceof RegExp) return `r:${v.source}/${v.flags}`;
  if (Array.isArray(v)) return `[${v.map(keyString).join(',')}]`;
  switch (bsonType(v)) {
    case 'ObjectId':
      return `o:${(v as ObjectId).toHexString()}`;
    case 'Binary': {
      const b = v as Binary;
      return `x:${b.sub_type}:${Buffer.from(b.buffer.subarray(0, b.length())).toString('base64')}`;
    }
    case 'BSONSymbol':
      return `s:${JSON.stringify(String(v))}`;
    case undefined:
      break;
    default:
      return `${bsonType(v)}:${String(v)}`;
  }
  if (isPlainObject(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${keyString(x)}`)
      .join(',')}}`;
  return `?:${String(v)}`;
}

/** Prints a value the way mongod does inside error messages: `{ email: "a@b" }`, `ObjectId('…')`. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
  if (Array.isArray(v)) return v.length ? `[ ${v.map(formatValue).join(', ')} ]` : '[]';
  switch (bsonType(v)) {
    case 'ObjectId':
      return `ObjectId('${(v as ObjectId).toHexString()}')`;
    case 'Binary': {
      const b = v as Binary;
      return `BinData(${b.sub_type}, ${Buffer.from(b.buffer.subarray(0, b.length())).toString('hex').toUpperCase()})`;
    }
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return String(v);
    case undefined:
      break;
    default:
      return String(v);
  }
  const entries = Object.entries(v as object);
  return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')} }` : '{}';
}

/**
 * Values a dotted path reaches in a document, descending through arrays the way an index does
 * (a multikey path yields each element). An absent path yields [undefined] (indexed as null).
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (v: unknown, i: number): void => {
    if (i === parts.length) {
      if (Array.isArray(v)) {
        if (v.length === 0) out.push(undefined);
        else for (const e of v) out.push(e);
      } else out.push(v);
      return;
    }
    const part = parts[i]!;
    if (Array.isArray(v)) {
      if (/^\d+$/.test(part) && Number(part) < v.length) {
        walk(v[Number(part)], i + 1);
        return;
      }
      let any = false;
      for (const e of v) {
        if (isPlainObject(e)) {
          any = true;
          walk(e[part], i + 1);
        }
      }
      if (!any) out.push(undefined);
      return;
    }
    if (isPlainObject(v)) {
      walk(v[part], i + 1);
      return;
    }
    out.push(undefined);
  };
  walk(doc, 0);
  return out.length ? out : [undefined];
}

/** The single value at a dotted path without array expansion (undefined when absent). */
export function getPath(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)];
    else if (isPlainObject(v)) v = v[part];
    else return undefined;
  }
  return v;
}

/** Sets a dotted path, creating embedded documents on the way (used to seed upserts). */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const next = cur[p];
    if (!isPlainObject(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

export { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp };
