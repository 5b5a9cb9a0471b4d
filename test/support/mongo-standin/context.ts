// What a command handler receives: the decoded command, its raw bytes (for documents that must be
// stored byte-exact), and the server state. Also small argument readers that fail the way mongod's
// IDL parser does (TypeMismatch naming the field) instead of misbehaving on a wrong type.
import { Long, type Document } from 'bson';
import { Code, CommandError } from './errors.ts';
import type { CursorRegistry } from './cursors.ts';
import type { Store } from './store.ts';
import { decodeTyped, decodeView } from './values.ts';

export interface ServerInfo {
  readonly connectionId: number;
  readonly remote: string;
  readonly startedAt: Date;
  readonly openConnections: () => number;
  readonly totalConnections: () => number;
}

export class CommandContext {
  readonly db: string;
  /** The command name as sent (the first field of the body). */
  readonly name: string;
  /** The body in view form (plain numbers). */
  readonly cmd: Document;
  readonly body: Buffer;
  private readonly sequences: ReadonlyMap<string, Buffer[]>;
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly server: ServerInfo;

  constructor(opts: {
    db: string;
    name: string;
    cmd: Document;
    body: Buffer;
    sequences: ReadonlyMap<string, Buffer[]>;
    store: Store;
    cursors: CursorRegistry;
    server: ServerInfo;
  }) {
    this.db = opts.db;
    this.name = opts.name;
    this.cmd = opts.cmd;
    this.body = opts.body;
    this.sequences = opts.sequences;
    this.store = opts.store;
    this.cursors = opts.cursors;
    this.server = opts.server;
  }

  /** The command's first value: the collection name for collection commands. */
  get target(): unknown {
    return this.cmd[this.name];
  }

  collectionName(): string {
    const name = this.target;
    if (typeof name !== 'string' || name === '') {
      throw new CommandError(Code.InvalidNamespace, `collection name has invalid type ${typeName(name)}`);
    }
    return name;
  }

  /**
   * The raw BSON of each document in an array argument (`documents`, `updates`, `deletes`),
   * whether the driver sent it as an OP_MSG document sequence or inside the body.
   */
  rawDocuments(field: string): Buffer[] {
    const seq = this.sequences.get(field);
    if (seq) return seq;
    const arr = rawField(this.body, field);
    if (arr === undefined) throw new CommandError(Code.FailedToParse, `BSON field '${this.name}.${field}' is missing but a required field`);
    if (arr.type !== 0x04)
      throw new CommandError(Code.TypeMismatch, `BSON field '${this.name}.${field}' is the wrong type, expected type 'array'`);
    return rawArrayElements(arr.bytes, `${this.name}.${field}`);
  }

  string(field: string, required: true): string;
  string(field: string, required?: boolean): string | undefined;
  string(field: string, required = false): string | undefined {
    const v = this.cmd[field];
    if (v === undefined) {
      if (required) throw missing(this.name, field);
      return undefined;
    }
    if (typeof v !== 'string') throw wrongType(this.name, field, 'string', v);
    return v;
  }

  number(field: string): number | undefined {
    const v = this.cmd[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (v instanceof Long) return v.toNumber();
    throw wrongType(this.name, field, 'long', v);
  }

  bool(field: string): boolean | undefined {
    const v = this.cmd[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    throw wrongType(this.name, field, 'bool', v);
  }

  doc(field: string): Document | undefined {
    const v = this.cmd[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || '_bsontype' in v || v instanceof Date || v instanceof RegExp) {
      throw wrongType(this.name, field, 'object', v);
    }
    return v as Document;
  }

  /** A sub-document of the body in typed form (exact numeric types), for values to be stored. */
  typedDoc(field: string): Document | undefined {
    const raw = rawField(this.body, field);
    if (!raw || raw.type !== 0x03) return undefined;
    return decodeTyped(raw.bytes);
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (typeof v === 'object' && '_bsontype' in v) return String((v as { _bsontype: string })._bsontype).toLowerCase();
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function missing(cmd: string, field: string): CommandError {
  return new CommandError(Code.FailedToParse, `BSON field '${cmd}.${field}' is missing but a required field`);
}

export function wrongType(cmd: string, field: string, expected: string, v: unknown): CommandError {
  return new CommandError(
    Code.TypeMismatch,
    `BSON field '${cmd}.${field}' is the wrong type '${typeName(v)}', expected type '${expected}'`,
  );
}

// ---- a minimal BSON walker: finds one top-level field's raw bytes without decoding the rest ----

function cstringEnd(buf: Buffer, offset: number): number {
  const zero = buf.indexOf(0, offset);
  if (zero < 0) throw new CommandError(Code.FailedToParse, 'invalid BSON: unterminated field name');
  return zero;
}

/** Byte length of a value of BSON `type` starting at `offset`. */
function valueLength(buf: Buffer, type: number, offset: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // date
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x02: // string
    case 0x0d: // javascript
    case 0x0e: // symbol
      return 4 + buf.readInt32LE(offset);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return buf.readInt32LE(offset);
    case 0x05: // binary
      return 4 + 1 + buf.readInt32LE(offset);
    case 0x06: // undefined
    case 0x0a: // null
    case 0xff: // min key
    case 0x7f: // max key
      return 0;
    case 0x07: // ObjectId
      return 12;
    case 0x08: // bool
      return 1;
    case 0x0b: {
      // regex: two cstrings
      const e1 = cstringEnd(buf, offset);
      return cstringEnd(buf, e1 + 1) + 1 - offset;
    }
    case 0x0c: // DBPointer
      return 4 + buf.readInt32LE(offset) + 12;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      throw new CommandError(Code.FailedToParse, `invalid BSON type 0x${type.toString(16)}`);
  }
}

interface RawElement {
  type: number;
  name: string;
  bytes: Buffer;
}

function* rawElements(doc: Buffer): Generator<RawElement> {
  const end = doc.readInt32LE(0) - 1;
  let p = 4;
  while (p < end) {
    const type = doc[p]!;
    const nameEnd = cstringEnd(doc, p + 1);
    const name = doc.toString('utf8', p + 1, nameEnd);
    const start = nameEnd + 1;
    const len = valueLength(doc, type, start);
    yield { type, name, bytes: doc.subarray(start, start + len) };
    p = start + len;
  }
}

export function rawField(doc: Buffer, field: string): RawElement | undefined {
  for (const el of rawElements(doc)) if (el.name === field) return el;
  return undefined;
}

function rawArrayElements(arr: Buffer, what: string): Buffer[] {
  const out: Buffer[] = [];
  for (const el of rawElements(arr)) {
    if (el.type !== 0x03)
      throw new CommandError(Code.TypeMismatch, `BSON field '${what}.${el.name}' is the wrong type, expected type 'object'`);
    out.push(el.bytes);
  }
  return out;
}

/** The name of a document's first field (mongod requires `_id` first in stored documents). */
export function firstFieldName(doc: Buffer): string | undefined {
  for (const el of rawElements(doc)) return el.name;
  return undefined;
}

export { decodeTyped, decodeView };
