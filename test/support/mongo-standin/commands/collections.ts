// Collection and index commands: create, drop, renameCollection, listCollections, createIndexes,
// listIndexes, dropIndexes. Index specifications are stored as given; only unique indexes (with
// their partialFilterExpression / sparse options) change behaviour. TTL is stored, never acted on.
import { Query } from 'mingo';
import type { Document } from 'bson';
import { CommandContext } from '../context.ts';
import { Code, CommandError, fromUnknown, notImplemented } from '../errors.ts';
import type { Collection } from '../store.ts';
import { formatValue, isPlainObject, keyString } from '../values.ts';

const UNSUPPORTED_CREATE_OPTIONS = [
  'capped',
  'validator',
  'timeseries',
  'clusteredIndex',
  'viewOn',
  'changeStreamPreAndPostImages',
  'encryptedFields',
];

export function create(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  for (const opt of UNSUPPORTED_CREATE_OPTIONS) if (ctx.cmd[opt] !== undefined) throw notImplemented(`the '${opt}' collection option`);
  if (ctx.store.get(ctx.db, name)) throw new CommandError(Code.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
  const options: Document = {};
  for (const [k, v] of Object.entries(ctx.cmd)) {
    if (k !== 'create' && !k.startsWith('$') && k !== 'lsid' && k !== 'writeConcern' && k !== 'comment') options[k] = v;
  }
  ctx.store.getOrCreate(ctx.db, name, options);
  return { ok: 1 };
}

export function drop(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const coll = ctx.store.drop(ctx.db, name);
  // Since 7.0 dropping a collection that does not exist succeeds.
  return coll ? { nIndexesWas: coll.indexes.size, ns: coll.ns, ok: 1 } : { ok: 1 };
}

export function dropDatabase(ctx: CommandContext): Document {
  ctx.store.dropDatabase(ctx.db);
  return { ok: 1 };
}

export function renameCollection(ctx: CommandContext): Document {
  if (ctx.db !== 'admin') throw new CommandError(13, 'renameCollection may only be run against the admin database.');
  const from = ctx.string('renameCollection', true);
  const to = ctx.string('to', true);
  const split = (ns: string): [string, string] => {
    const dot = ns.indexOf('.');
    if (dot <= 0) throw new CommandError(Code.InvalidNamespace, `Invalid namespace specified '${ns}'`);
    return [ns.slice(0, dot), ns.slice(dot + 1)];
  };
  const [fromDb, fromName] = split(from);
  const [toDb, toName] = split(to);
  const source = ctx.store.get(fromDb, fromName);
  if (!source) throw new CommandError(Code.NamespaceNotFound, `Source collection ${from} does not exist`);
  if (from === to) throw new CommandError(Code.IllegalOperation, "Can't rename a collection to itself");
  if (ctx.store.get(toDb, toName)) {
    if (ctx.bool('dropTarget') !== true) throw new CommandError(Code.NamespaceExists, 'target namespace exists');
    ctx.store.drop(toDb, toName);
  }
  ctx.store.rename(source, toDb, toName);
  return { ok: 1 };
}

function collectionInfo(coll: Collection, nameOnly: boolean): Document {
  if (nameOnly) return { name: coll.name, type: 'collection' };
  return {
    name: coll.name,
    type: 'collection',
    options: coll.options,
    info: { readOnly: false, uuid: coll.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

export function listCollections(ctx: CommandContext): Document {
  const nameOnly = ctx.bool('nameOnly') ?? false;
  const filter = ctx.doc('filter');
  let query: Query | undefined;
  try {
    query = filter && Object.keys(filter).length ? new Query(filter) : undefined;
  } catch (err) {
    throw fromUnknown(err);
  }
  const infos = ctx.store
    .collections(ctx.db)
    .map((c) => collectionInfo(c, nameOnly))
    .filter((info) => !query || query.test(info));
  const cursorOpt = ctx.doc('cursor') ?? {};
  const batchSize = typeof cursorOpt['batchSize'] === 'number' ? cursorOpt['batchSize'] : undefined;
  const ns = `${ctx.db}.$cmd.listCollections`;
  const { id, batch } = ctx.cursors.start(ns, infos, (d) => d as Document, batchSize);
  return { cursor: { id, ns, firstBatch: batch }, ok: 1 };
}

const KEY_TYPES = new Set(['text', 'hashed', '2d', '2dsphere']);

function validateSpec(spec: unknown): Document {
  if (!isPlainObject(spec)) throw new CommandError(Code.TypeMismatch, 'The elements of the indexes array must be objects');
  const key = spec['key'];
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError(
      Code.CannotCreateIndex,
      `Error in specification ${formatValue(spec)} :: caused by :: The 'key' field is a required property of an index specification`,
    );
  }
  for (const v of Object.values(key)) {
    const ok = (typeof v === 'number' && v !== 0) || (typeof v === 'string' && KEY_TYPES.has(v));
    if (!ok)
      throw new CommandError(
        Code.CannotCreateIndex,
        `Error in specification ${formatValue(spec)} :: caused by :: Values in the index key pattern can only be positive or negative numbers or the strings 'text', 'hashed', '2d' or '2dsphere'`,
      );
  }
  if (typeof spec['name'] !== 'string' || spec['name'] === '') {
    throw new CommandError(
      Code.FailedToParse,
      `Error in specification ${formatValue(spec)} :: caused by :: The 'name' field is a required property of an index specification`,
    );
  }
  if (spec['collation'] !== undefined) throw notImplemented('index collation');
  const pfe = spec['partialFilterExpression'];
  if (pfe !== undefined) {
    if (!isPlainObject(pfe)) throw new CommandError(Code.TypeMismatch, "The field 'partialFilterExpression' must be an object");
    try {
      new Query(pfe);
    } catch (err) {
      throw fromUnknown(err);
    }
  }
  // Stored in mongod's field order: v, key, name, then the options.
  const { v: _v, background: _bg, ns: _ns, key: _key, name: _name, ...rest } = spec;
  return { v: 2, key, name: spec['name'], ...rest };
}

/** The options that distinguish two indexes on the same key (name and version aside). */
function optionsKey(spec: Document): string {
  const { v: _v, name: _n, key: _k, ...opts } = spec;
  return keyString(Object.fromEntries(Object.entries(opts).sort(([a], [b]) => (a < b ? -1 : 1))));
}

export function createIndexes(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const specs = ctx.cmd['indexes'];
  if (!Array.isArray(specs) || specs.length === 0) throw new CommandError(Code.BadValue, 'Must specify at least one index to create');
  const validated = specs.map(validateSpec);
  const existed = ctx.store.get(ctx.db, name) !== undefined;
  const coll = ctx.store.getOrCreate(ctx.db, name);
  const before = coll.indexes.size;
  for (const spec of validated) {
    const specName = String(spec['name']);
    const sameName = coll.indexes.get(specName);
    const sameKey = [...coll.indexes.values()].find(
      (i) => keyString(i.spec['key']) === keyString(spec['key']) && optionsKey(i.spec) === optionsKey(spec),
    );
    if (sameName) {
      if (keyString(sameName.spec['key']) !== keyString(spec['key'])) {
        throw new CommandError(
          Code.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatValue(spec)}, existing index: ${formatValue(sameName.spec)}`,
        );
      }
      if (optionsKey(sameName.spec) !== optionsKey(spec)) {
        throw new CommandError(
          Code.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(spec)}, existing index: ${formatValue(sameName.spec)}`,
        );
      }
      continue;
    }
    if (sameKey) throw new CommandError(Code.IndexOptionsConflict, `Index already exists with a different name: ${sameKey.name}`);
    coll.addIndex(spec);
  }
  const reply: Document = { numIndexesBefore: before, numIndexesAfter: coll.indexes.size, createdCollectionAutomatically: !existed };
  if (before === coll.indexes.size) reply['note'] = 'all indexes already exist';
  reply['ok'] = 1;
  return reply;
}

export function listIndexes(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new CommandError(Code.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  const cursorOpt = ctx.doc('cursor') ?? {};
  const batchSize = typeof cursorOpt['batchSize'] === 'number' ? cursorOpt['batchSize'] : undefined;
  const ns = `${ctx.db}.$cmd.listIndexes.${name}`;
  const specs = [...coll.indexes.values()].map((i) => i.spec);
  const { id, batch } = ctx.cursors.start(ns, specs, (d) => d as Document, batchSize);
  return { cursor: { id, ns, firstBatch: batch }, ok: 1 };
}

export function dropIndexes(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new CommandError(Code.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  const was = coll.indexes.size;
  const which = ctx.cmd['index'];
  const names: string[] = [];
  if (which === '*') {
    names.push(...[...coll.indexes.keys()].filter((n) => n !== '_id_'));
  } else if (typeof which === 'string') {
    names.push(which);
  } else if (Array.isArray(which)) {
    names.push(...which.map(String));
  } else if (isPlainObject(which)) {
    const found = [...coll.indexes.values()].find((i) => keyString(i.spec['key']) === keyString(which));
    if (!found) throw new CommandError(Code.IndexNotFound, `can't find index with key: ${formatValue(which)}`);
    names.push(found.name);
  } else {
    throw new CommandError(Code.TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type");
  }
  for (const n of names) {
    if (n === '_id_') throw new CommandError(Code.InvalidOptions, 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw new CommandError(Code.IndexNotFound, `index not found with name [${n}]`);
  }
  for (const n of names) coll.indexes.delete(n);
  return { nIndexesWas: was, ok: 1 };
}
