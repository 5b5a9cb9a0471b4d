// Applying one update statement to one document, as mongod does: operator updates (through
// mingo's updater), replacement documents and aggregation-pipeline updates; upsert seeding from
// the query's equality conditions; `_id` immutability; the 16 MiB limit on the result.
// mingo is lenient where mongod is strict (e.g. `$push` onto a string is a silent no-op there),
// so the checks mongod makes on operator targets are made here first.
import { update as mingoUpdate, updateOne as mingoUpdateOne } from 'mingo';
import { ObjectId, type Document } from 'bson';
import { Code, CommandError, fromUnknown } from './errors.ts';
import { serializeDocument } from './wire.ts';
import {
  bsonType,
  decodeTyped,
  decodeView,
  formatValue,
  getPath,
  isPlainObject,
  keyString,
  MAX_BSON_OBJECT_SIZE,
  promote,
  retype,
  setPath,
} from './values.ts';
import { typeName } from './context.ts';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$push',
  '$addToSet',
  '$pull',
  '$pullAll',
  '$pop',
  '$rename',
  '$min',
  '$max',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);
/** Operands stored as given keep their typed form, so `$set: {n: Long(5)}` stays int64. */
const TYPED_OPERANDS = new Set(['$set', '$setOnInsert']);
const ARRAY_TARGETS = new Set(['$push', '$addToSet', '$pop', '$pullAll', '$pull']);
const NUMERIC_TARGETS = new Set(['$inc', '$mul']);

export type UpdateSpec =
  | { kind: 'operators'; view: Document; typed: Document }
  | { kind: 'replacement'; typed: Document }
  | { kind: 'pipeline'; stages: Document[] };

/** Classifies the `u` of an update statement (view and typed forms of the same value). */
export function parseUpdate(view: unknown, typed: unknown): UpdateSpec {
  if (Array.isArray(view)) {
    for (const stage of view) {
      if (!isPlainObject(stage)) throw new CommandError(Code.FailedToParse, 'Each element of the update pipeline must be an object');
    }
    return { kind: 'pipeline', stages: view as Document[] };
  }
  if (!isPlainObject(view) || !isPlainObject(typed)) {
    throw new CommandError(Code.TypeMismatch, `Update argument must be either an object or an array, not ${typeName(view)}`);
  }
  const keys = Object.keys(view);
  if (keys.length === 0 || !keys[0]!.startsWith('$')) {
    for (const k of keys) {
      if (k.startsWith('$'))
        throw new CommandError(
          Code.BadValue,
          `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
    }
    return { kind: 'replacement', typed };
  }
  for (const k of keys) {
    if (!OPERATORS.has(k)) {
      throw new CommandError(
        Code.FailedToParse,
        `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainObject(view[k])) {
      throw new CommandError(
        Code.FailedToParse,
        `Modifiers operate on fields but we found type ${typeName(view[k])} instead. For example: {$mod: {<field>: ...}} not {${k}: ${formatValue(view[k])}}`,
      );
    }
  }
  return { kind: 'operators', view, typed };
}

export interface UpdateResult {
  bytes: Buffer;
  view: Document;
}

function idOf(doc: Document): string {
  return keyString(doc['_id']);
}

/** mongod stores `_id` as the first field; a document built otherwise is reordered. */
function idFirst(doc: Document): Document {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !('_id' in doc)) return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Serialises an updated or upserted document, refusing it above 16 MiB as mongod does. */
function encode(doc: Document): UpdateResult {
  const bytes = serializeDocument(doc);
  if (bytes.length > MAX_BSON_OBJECT_SIZE) {
    throw new CommandError(Code.BSONObjectTooLarge, `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`);
  }
  return { bytes, view: decodeView(bytes) };
}

/** Checks the targets of operators the way mongod does before it modifies anything. */
function checkTargets(doc: Document, ops: Document): void {
  for (const [op, operand] of Object.entries(ops)) {
    for (const path of Object.keys(operand as Document)) {
      if (path.includes('$')) continue; // positional paths are resolved by mingo
      const parts = path.split('.');
      let cur: unknown = doc;
      for (let i = 0; i < parts.length - 1 && cur !== undefined; i++) {
        const part = parts[i]!;
        if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
        else if (isPlainObject(cur)) cur = cur[part];
        else {
          if (op === '$unset' || op === '$pull' || op === '$pullAll' || op === '$pop') {
            cur = undefined; // removing under a scalar is a no-op in mongod
            break;
          }
          throw new CommandError(
            Code.PathNotViable,
            `Cannot create field '${part}' in element {${parts[i - 1] ?? ''}: ${formatValue(cur)}}`,
          );
        }
      }
      const target = getPath(doc, path);
      if (target === undefined) continue;
      if (ARRAY_TARGETS.has(op) && !Array.isArray(target)) {
        const msg =
          op === '$pull' || op === '$pullAll'
            ? 'Cannot apply $pull to a non-array value'
            : `The field '${path}' must be an array but is of type ${typeName(target)} in document {_id: ${formatValue(doc['_id'])}}`;
        throw new CommandError(Code.BadValue, msg);
      }
      const numeric = typeof target === 'number' || bsonType(target) === 'Long' || bsonType(target) === 'Decimal128';
      if (NUMERIC_TARGETS.has(op) && !numeric) {
        throw new CommandError(
          Code.TypeMismatch,
          `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(doc['_id'])}} has the field '${path}' of non-numeric type ${typeName(target)}`,
        );
      }
    }
  }
}

/** The mingo modifier for an operator update; `$setOnInsert` only when inserting. */
function buildModifier(spec: Extract<UpdateSpec, { kind: 'operators' }>, inserting: boolean, target: Document): Document {
  const modifier: Document = {};
  for (const [op, operand] of Object.entries(spec.view)) {
    if (op === '$setOnInsert') continue;
    modifier[op] = TYPED_OPERANDS.has(op) ? { ...(spec.typed[op] as Document) } : { ...(operand as Document) };
  }
  if (inserting && spec.typed['$setOnInsert']) {
    modifier['$set'] = { ...(modifier['$set'] as Document | undefined), ...(spec.typed['$setOnInsert'] as Document) };
  }
  // mingo does not de-duplicate `$addToSet: {$each}` when the array does not exist yet.
  const addToSet = modifier['$addToSet'] as Document | undefined;
  if (addToSet) {
    for (const [path, v] of Object.entries(addToSet)) {
      if (isPlainObject(v) && Array.isArray(v['$each']) && getPath(target, path) === undefined) {
        const seen = new Set<string>();
        addToSet[path] = { ...v, $each: (v['$each'] as unknown[]).filter((e) => !seen.has(keyString(e)) && seen.add(keyString(e))) };
      }
    }
  }
  for (const op of Object.keys(modifier)) if (Object.keys(modifier[op] as Document).length === 0) delete modifier[op];
  return modifier;
}

function applyOperators(
  target: Document,
  spec: Extract<UpdateSpec, { kind: 'operators' }>,
  inserting: boolean,
  condition: Document,
  arrayFilters: Document[] | undefined,
): void {
  checkTargets(target, spec.view);
  const modifier = buildModifier(spec, inserting, target);
  if (Object.keys(modifier).length === 0) return;
  try {
    mingoUpdate(target, modifier, arrayFilters, inserting ? undefined : condition);
  } catch (err) {
    throw fromUnknown(err);
  }
}

/** Applies an update to an existing document; returns undefined when nothing changed. */
export function updateExisting(
  oldBytes: Buffer,
  spec: UpdateSpec,
  condition: Document,
  arrayFilters: Document[] | undefined,
): UpdateResult | undefined {
  const typedOld = decodeTyped(oldBytes);
  let result: Document;
  if (spec.kind === 'replacement') {
    const replacement = { ...spec.typed };
    if ('_id' in replacement) {
      if (keyString(promote(replacement['_id'])) !== keyString(promote(typedOld['_id']))) {
        throw new CommandError(
          Code.ImmutableField,
          `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(replacement['_id'])}`,
        );
      }
      result = idFirst(replacement);
    } else {
      result = { _id: typedOld['_id'], ...replacement };
    }
  } else {
    let work = decodeView(oldBytes);
    const oldId = idOf(work);
    if (spec.kind === 'operators') {
      applyOperators(work, spec, false, condition, arrayFilters);
    } else {
      const docs = [work];
      try {
        mingoUpdateOne(docs, {}, spec.stages as never);
      } catch (err) {
        throw fromUnknown(err);
      }
      work = docs[0]!;
    }
    if (idOf(work) !== oldId) {
      throw new CommandError(Code.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    result = idFirst(retype(work, typedOld) as Document);
  }
  const encoded = encode(result);
  return encoded.bytes.equals(oldBytes) ? undefined : encoded;
}

/** Equality conditions of a query, which mongod copies into an upserted document. */
function equalities(filter: Document, into: Document): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) equalities(sub, into);
      continue;
    }
    if (k.startsWith('$')) continue;
    let value: unknown = v;
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length > 0 && keys[0]!.startsWith('$')) {
        if (keys.length === 1 && keys[0] === '$eq') value = v['$eq'];
        else continue;
      }
    }
    if (value instanceof RegExp || bsonType(value) === 'BSONRegExp') continue;
    setPath(into, k, value);
  }
}

/** Builds the document an upsert inserts when its query matched nothing. */
export function upsertDocument(filterTyped: Document, spec: UpdateSpec, arrayFilters: Document[] | undefined): UpdateResult {
  const seedTyped: Document = {};
  equalities(filterTyped, seedTyped);
  let result: Document;
  if (spec.kind === 'replacement') {
    result = { ...spec.typed };
    if (!('_id' in result) && '_id' in seedTyped) result = { _id: seedTyped['_id'], ...result };
  } else {
    let work = promote(seedTyped) as Document;
    if (spec.kind === 'operators') {
      applyOperators(work, spec, true, {}, arrayFilters);
    } else {
      const docs = [work];
      try {
        mingoUpdateOne(docs, {}, spec.stages as never);
      } catch (err) {
        throw fromUnknown(err);
      }
      work = docs[0]!;
    }
    result = retype(work, seedTyped) as Document;
  }
  if (!('_id' in result)) result = { _id: new ObjectId(), ...result };
  return encode(idFirst(result));
}
