// Selecting documents: filter (mingo), sort (MongoDB's BSON order, arrays by their min/max
// element), skip/limit, hints and projections. Shared by find, count, update, delete and
// findAndModify so they all select documents the same way.
import { find as mingoFind, Query } from 'mingo';
import type { Document } from 'bson';
import { Code, CommandError, fromUnknown, notImplemented } from './errors.ts';
import type { Collection, StoredDoc } from './store.ts';
import { compareValues, decodeTyped, isPlainObject, keyString, retype, valuesAtPath } from './values.ts';

export function compileFilter(filter: Document | undefined): Query | undefined {
  if (!filter || Object.keys(filter).length === 0) return undefined;
  try {
    return new Query(filter);
  } catch (err) {
    throw fromUnknown(err);
  }
}

/** A plain `{_id: value}` equality, answered from the _id index rather than a scan. */
function idEquality(filter: Document | undefined): { value: unknown } | undefined {
  if (!filter) return undefined;
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id') return undefined;
  const v = filter['_id'];
  if (v instanceof RegExp || Array.isArray(v)) return undefined;
  if (isPlainObject(v)) {
    const ks = Object.keys(v);
    if (ks.length === 1 && ks[0] === '$eq') return { value: v['$eq'] };
    if (ks.some((k) => k.startsWith('$'))) return undefined;
  }
  if (typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'BSONRegExp') return undefined;
  return { value: v };
}

type SortKey = { path: string; dir: 1 | -1 };

export function parseSort(sort: Document | undefined): SortKey[] | 'natural-reverse' | undefined {
  if (!sort || Object.keys(sort).length === 0) return undefined;
  const keys: SortKey[] = [];
  for (const [path, d] of Object.entries(sort)) {
    if (path === '$natural') {
      if (Object.keys(sort).length === 1) return d === -1 ? 'natural-reverse' : undefined;
      throw new CommandError(Code.BadValue, '$natural sort cannot be combined with other sort fields');
    }
    if (isPlainObject(d)) throw notImplemented(`sorting by ${JSON.stringify(d)}`);
    if (d !== 1 && d !== -1) {
      throw new CommandError(15974, `Illegal key in $sort specification: ${path}: ${String(d)}`);
    }
    keys.push({ path, dir: d });
  }
  return keys;
}

/** The value a document sorts by on `path`: an array sorts by its smallest (ascending) or largest element. */
function sortValue(view: Document, key: SortKey): unknown {
  const values = valuesAtPath(view, key.path);
  let best = values[0];
  for (const v of values.slice(1)) {
    const c = compareValues(v, best);
    if ((key.dir === 1 && c < 0) || (key.dir === -1 && c > 0)) best = v;
  }
  return best;
}

export function sortDocs(docs: StoredDoc[], sort: Document | undefined): StoredDoc[] {
  const spec = parseSort(sort);
  if (spec === undefined) return docs;
  if (spec === 'natural-reverse') return docs.reverse();
  const keyed = docs.map((doc) => ({ doc, keys: spec.map((k) => sortValue(doc.view, k)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < spec.length; i++) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c) return c * spec[i]!.dir;
    }
    return 0;
  });
  return keyed.map((k) => k.doc);
}

export interface SelectOptions {
  sort?: Document | undefined;
  skip?: number | undefined;
  /** 0 or undefined: no limit. */
  limit?: number | undefined;
}

/** Documents of `coll` matching `filter`, sorted, skipped and limited. */
export function select(coll: Collection | undefined, filter: Document | undefined, opts: SelectOptions = {}): StoredDoc[] {
  if (!coll) {
    compileFilter(filter); // still report a malformed filter
    return [];
  }
  const query = compileFilter(filter);
  let docs: StoredDoc[];
  const byId = idEquality(filter);
  if (byId) {
    const doc = coll.byId(byId.value);
    docs = doc && (!query || query.test(doc.view)) ? [doc] : [];
  } else {
    docs = [];
    const unsortedLimit = !opts.sort || Object.keys(opts.sort).length === 0 ? (opts.limit ?? 0) + (opts.skip ?? 0) : 0;
    try {
      for (const doc of coll.all()) {
        if (!query || query.test(doc.view)) {
          docs.push(doc);
          if (unsortedLimit && docs.length >= unsortedLimit) break;
        }
      }
    } catch (err) {
      throw fromUnknown(err);
    }
  }
  docs = sortDocs(docs, opts.sort);
  if (opts.skip) docs = docs.slice(opts.skip);
  if (opts.limit) docs = docs.slice(0, opts.limit);
  return docs;
}

/** Checks that a hint names an existing index (mongod fails the query otherwise). */
export function checkHint(coll: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null || !coll) return;
  if (typeof hint === 'string') {
    if (coll.indexes.has(hint)) return;
  } else if (isPlainObject(hint)) {
    if (Object.keys(hint).length === 0) return;
    if ('$natural' in hint) return;
    const wanted = keyString(hint);
    for (const index of coll.indexes.values()) if (keyString(index.spec['key']) === wanted) return;
  }
  throw new CommandError(Code.BadValue, 'hint provided does not correspond to an existing index');
}

/** mongod keeps a document's field order in projections; mingo puts included fields first. */
function orderLike(projected: unknown, original: unknown): unknown {
  if (Array.isArray(projected) && Array.isArray(original)) return projected.map((v, i) => orderLike(v, original[i]));
  if (!isPlainObject(projected) || !isPlainObject(original)) return projected;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(original)) if (k in projected) out[k] = orderLike(projected[k], original[k]);
  for (const k of Object.keys(projected)) if (!(k in out)) out[k] = projected[k];
  return out;
}

/** Returns a function rendering a stored document for the client, projected, with exact BSON types. */
export function projector(projection: Document | undefined): (doc: StoredDoc) => Document {
  if (!projection || Object.keys(projection).length === 0) return (doc) => decodeTyped(doc.bytes);
  // Fail now on a malformed projection rather than on the first document.
  try {
    mingoFind([{}], {}, projection).all();
  } catch (err) {
    throw fromUnknown(err);
  }
  return (doc) => {
    let projected: Document | undefined;
    try {
      projected = mingoFind([doc.view], {}, projection).next() as Document | undefined;
    } catch (err) {
      throw fromUnknown(err);
    }
    const typed = decodeTyped(doc.bytes);
    return retype(orderLike(projected ?? {}, doc.view), typed) as Document;
  };
}

/** Collation other than the simple binary one is not implemented: refuse rather than ignore it. */
export function checkCollation(collation: unknown): void {
  if (collation === undefined || collation === null) return;
  if (isPlainObject(collation) && collation['locale'] === 'simple') return;
  throw notImplemented('collation (only {locale: "simple"})');
}
