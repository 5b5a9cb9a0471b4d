// In-memory databases, collections and indexes. A document is kept as its exact BSON bytes (the
// source of truth: exact types, exact size, and a deep copy by construction) plus a decoded view
// for matching. Indexes are only specifications, except unique ones, which keep a key map so
// duplicates are refused the way mongod refuses them (E11000) without scanning the collection.
import { randomUUID } from 'node:crypto';
import { Query } from 'mingo';
import { Binary, type Document } from 'bson';
import { Code, CommandError } from './errors.ts';
import { decodeView, formatValue, getPath, keyString, valuesAtPath } from './values.ts';

export interface StoredDoc {
  /** Record id: position in natural (insertion) order, kept across updates. */
  readonly rid: number;
  readonly bytes: Buffer;
  /** Decoded with default promotion; shared, so never mutated. */
  readonly view: Document;
}

export class Index {
  readonly name: string;
  /** The specification as given (typed values), returned by listIndexes. */
  readonly spec: Document;
  readonly fields: string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  private readonly partial: Query | undefined;
  /** For unique indexes: index key → document holding it. */
  private readonly keys = new Map<string, StoredDoc>();

  constructor(spec: Document) {
    this.spec = spec;
    this.name = String(spec['name']);
    this.fields = Object.keys(spec['key'] as Document);
    this.unique = spec['unique'] === true || this.name === '_id_';
    this.sparse = spec['sparse'] === true;
    const pfe = spec['partialFilterExpression'] as Document | undefined;
    this.partial = pfe ? new Query(pfe) : undefined;
  }

  /** Index keys of a document, each with the field values that form it (for error messages). */
  keysOf(view: Document): Array<{ key: string; values: unknown[] }> {
    if (this.partial && !this.partial.test(view)) return [];
    if (this.sparse && this.fields.every((f) => getPath(view, f) === undefined)) return [];
    let combos: unknown[][] = [[]];
    for (const f of this.fields) {
      const next: unknown[][] = [];
      for (const v of valuesAtPath(view, f)) for (const c of combos) next.push([...c, v]);
      combos = next;
    }
    const seen = new Map<string, unknown[]>();
    for (const values of combos) seen.set(values.map(keyString).join('|'), values);
    return [...seen].map(([key, values]) => ({ key, values }));
  }

  /** The document already holding one of `view`'s keys, other than `self`. */
  conflict(view: Document, self?: StoredDoc): { holder: StoredDoc; values: unknown[] } | undefined {
    if (!this.unique) return undefined;
    for (const { key, values } of this.keysOf(view)) {
      const holder = this.keys.get(key);
      if (holder && holder.rid !== self?.rid) return { holder, values };
    }
    return undefined;
  }

  add(doc: StoredDoc): void {
    if (!this.unique) return;
    for (const { key } of this.keysOf(doc.view)) this.keys.set(key, doc);
  }

  remove(doc: StoredDoc): void {
    if (!this.unique) return;
    for (const { key } of this.keysOf(doc.view)) if (this.keys.get(key)?.rid === doc.rid) this.keys.delete(key);
  }

  /** Exact lookup through a unique single-field index (used for `{_id: v}` queries). */
  lookup(value: unknown): StoredDoc | undefined {
    return this.keys.get(keyString(value));
  }
}

export class Collection {
  readonly db: string;
  name: string;
  readonly uuid = new Binary(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'), Binary.SUBTYPE_UUID);
  readonly options: Document;
  readonly indexes = new Map<string, Index>();
  /** Natural order is insertion order: a Map keeps it and replaces values in place. */
  private readonly docs = new Map<number, StoredDoc>();
  private nextRid = 1;

  constructor(db: string, name: string, options: Document = {}) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.indexes.set('_id_', new Index({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.docs.size;
  }

  all(): IterableIterator<StoredDoc> {
    return this.docs.values();
  }

  byId(id: unknown): StoredDoc | undefined {
    return this.indexes.get('_id_')!.lookup(id);
  }

  private duplicateKeyError(index: Index, values: unknown[]): CommandError {
    const keyValue: Record<string, unknown> = {};
    index.fields.forEach((f, i) => (keyValue[f] = values[i] ?? null));
    const printed = formatValue(keyValue);
    return new CommandError(
      Code.DuplicateKey,
      `E11000 duplicate key error collection: ${this.ns} index: ${index.name} dup key: ${printed}`,
      { keyPattern: index.spec['key'], keyValue },
    );
  }

  /** Throws the E11000 error mongod would give if `view` (replacing `self`) broke a unique index. */
  checkUnique(view: Document, self?: StoredDoc): void {
    for (const index of this.indexes.values()) {
      const c = index.conflict(view, self);
      if (c) throw this.duplicateKeyError(index, c.values);
    }
  }

  insert(bytes: Buffer, view: Document = decodeView(bytes)): StoredDoc {
    this.checkUnique(view);
    const doc: StoredDoc = { rid: this.nextRid++, bytes, view };
    this.docs.set(doc.rid, doc);
    for (const index of this.indexes.values()) index.add(doc);
    return doc;
  }

  replace(old: StoredDoc, bytes: Buffer, view: Document = decodeView(bytes)): StoredDoc {
    this.checkUnique(view, old);
    const doc: StoredDoc = { rid: old.rid, bytes, view };
    for (const index of this.indexes.values()) index.remove(old);
    this.docs.set(doc.rid, doc);
    for (const index of this.indexes.values()) index.add(doc);
    return doc;
  }

  remove(doc: StoredDoc): boolean {
    const current = this.docs.get(doc.rid);
    if (!current) return false;
    for (const index of this.indexes.values()) index.remove(current);
    this.docs.delete(doc.rid);
    return true;
  }

  /** Builds an index over existing documents; refuses (E11000) if they already violate it. */
  addIndex(spec: Document): void {
    const index = new Index(spec);
    for (const doc of this.docs.values()) {
      const c = index.conflict(doc.view);
      if (c) {
        const err = this.duplicateKeyError(index, c.values);
        throw new CommandError(Code.DuplicateKey, `Index build failed: ${this.ns} :: caused by :: ${err.message}`, err.extra);
      }
      index.add(doc);
    }
    this.indexes.set(index.name, index);
  }
}

export class Store {
  private readonly dbs = new Map<string, Map<string, Collection>>();

  databaseNames(): string[] {
    return [...this.dbs].filter(([, colls]) => colls.size > 0).map(([name]) => name);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Returns the collection, creating it implicitly (as inserts, upserts and createIndexes do). */
  getOrCreate(db: string, name: string, options: Document = {}): Collection {
    validateNamespace(db, name);
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    let coll = colls.get(name);
    if (!coll) colls.set(name, (coll = new Collection(db, name, options)));
    return coll;
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.get(db, name);
    this.dbs.get(db)?.delete(name);
    return coll;
  }

  rename(from: Collection, toDb: string, toName: string): Collection {
    this.drop(from.db, from.name);
    const target = this.getOrCreate(toDb, toName, from.options);
    for (const [name, index] of from.indexes) if (name !== '_id_') target.addIndex(index.spec);
    for (const doc of from.all()) target.insert(doc.bytes, doc.view);
    return target;
  }

  dropDatabase(db: string): void {
    this.dbs.delete(db);
  }

  clear(): void {
    this.dbs.clear();
  }
}

/** mongod's namespace rules, loosely: no empty names, no '$' or NUL, no system collections to write. */
export function validateNamespace(db: string, coll: string): void {
  if (!db || /[/\\. "$\0]/.test(db) || db.length > 63) {
    throw new CommandError(Code.InvalidNamespace, `Invalid database name: '${db}'`);
  }
  if (!coll || coll.includes('$') || coll.includes('\0') || coll.startsWith('.')) {
    throw new CommandError(Code.InvalidNamespace, `Invalid collection name: ${coll}`);
  }
}
