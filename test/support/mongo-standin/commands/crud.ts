// Write commands: insert, update, delete, findAndModify. Reply shapes follow mongod: per-statement
// failures go into `writeErrors` (with `ok: 1`), an ordered batch stops at its first failure, an
// unordered one carries on; findAndModify fails as a whole command instead.
import { ObjectId, type Document } from 'bson';
import { CommandContext, decodeTyped, decodeView, firstFieldName, typeName } from '../context.ts';
import { Code, CommandError, fromUnknown } from '../errors.ts';
import { checkCollation, checkHint, projector, select } from '../query.ts';
import { parseUpdate, updateExisting, upsertDocument } from '../updates.ts';
import { serializeDocument } from '../wire.ts';
import { bsonType, formatValue, isPlainObject, MAX_BSON_OBJECT_SIZE } from '../values.ts';
import type { Collection } from '../store.ts';
import { MAX_WRITE_BATCH_SIZE } from './admin.ts';

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [k: string]: unknown;
}

/** mongod refuses empty batches and batches above maxWriteBatchSize as a whole. */
function checkBatch(n: number): void {
  if (n < 1 || n > MAX_WRITE_BATCH_SIZE) {
    throw new CommandError(Code.InvalidLength, `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${n} operations.`);
  }
}

function writeError(index: number, err: unknown): WriteError {
  const e = fromUnknown(err);
  return { index, code: e.code, errmsg: e.message, ...e.extra };
}

function withWriteErrors(reply: Document, errors: WriteError[]): Document {
  if (errors.length) reply['writeErrors'] = errors;
  reply['ok'] = 1;
  return reply;
}

/** Prepares a document for storage: `_id` present (generated ObjectId) and first, size checked. */
function prepareInsert(raw: Buffer): Buffer {
  if (raw.length > MAX_BSON_OBJECT_SIZE) {
    throw new CommandError(
      Code.BSONObjectTooLarge,
      `object to insert too large. size in bytes: ${raw.length}, max size: ${MAX_BSON_OBJECT_SIZE}`,
    );
  }
  let bytes = raw;
  if (firstFieldName(raw) !== '_id') {
    const typed = decodeTyped(raw);
    const { _id, ...rest } = typed;
    bytes = serializeDocument({ _id: _id === undefined ? new ObjectId() : _id, ...rest });
    if (bytes.length > MAX_BSON_OBJECT_SIZE) {
      throw new CommandError(
        Code.BSONObjectTooLarge,
        `object to insert too large. size in bytes: ${bytes.length}, max size: ${MAX_BSON_OBJECT_SIZE}`,
      );
    }
  } else {
    bytes = Buffer.from(raw); // own copy: the message buffer is not kept alive by stored documents
  }
  return bytes;
}

function checkId(view: Document): void {
  const id = view['_id'];
  if (Array.isArray(id)) throw new CommandError(Code.BadValue, "can't use an array for _id");
  if (id instanceof RegExp || bsonType(id) === 'BSONRegExp') throw new CommandError(Code.BadValue, "can't use a regex for _id");
  if (id === undefined) throw new CommandError(Code.BadValue, "can't use undefined for _id");
  if (isPlainObject(id) && Object.keys(id).some((k) => k.startsWith('$'))) {
    throw new CommandError(
      Code.BadValue,
      `_id fields may not contain '$'-prefixed fields: ${Object.keys(id).find((k) => k.startsWith('$'))} is not valid for storage.`,
    );
  }
}

export function insert(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const docs = ctx.rawDocuments('documents');
  checkBatch(docs.length);
  const ordered = ctx.bool('ordered') ?? true;
  const errors: WriteError[] = [];
  let n = 0;
  let coll: Collection | undefined;
  for (let i = 0; i < docs.length; i++) {
    try {
      const bytes = prepareInsert(docs[i]!);
      const view = decodeView(bytes);
      checkId(view);
      coll ??= ctx.store.getOrCreate(ctx.db, name);
      coll.insert(bytes, view);
      n++;
    } catch (err) {
      errors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return withWriteErrors({ n }, errors);
}

interface Statement {
  view: Document;
  typed: Document;
}

function statements(ctx: CommandContext, field: string): Statement[] {
  return ctx.rawDocuments(field).map((raw) => ({ view: decodeView(raw), typed: decodeTyped(raw) }));
}

function filterOf(stmt: Document, field = 'q'): Document {
  const q = stmt[field] ?? {};
  if (!isPlainObject(q))
    throw new CommandError(Code.TypeMismatch, `BSON field '${field}' is the wrong type '${typeName(q)}', expected type 'object'`);
  return q;
}

function arrayFiltersOf(stmt: Document): Document[] | undefined {
  const af = stmt['arrayFilters'];
  if (af === undefined) return undefined;
  if (!Array.isArray(af)) throw new CommandError(Code.TypeMismatch, "BSON field 'arrayFilters' is the wrong type, expected type 'array'");
  return af as Document[];
}

export function update(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const ordered = ctx.bool('ordered') ?? true;
  const stmts = statements(ctx, 'updates');
  checkBatch(stmts.length);
  const errors: WriteError[] = [];
  const upserted: Array<{ index: number; _id: unknown }> = [];
  let n = 0;
  let nModified = 0;
  for (let i = 0; i < stmts.length; i++) {
    const { view, typed } = stmts[i]!;
    try {
      const q = filterOf(view);
      const spec = parseUpdate(view['u'], typed['u']);
      const multi = view['multi'] === true;
      if (multi && spec.kind === 'replacement') {
        throw new CommandError(Code.FailedToParse, 'multi update is not supported for replacement-style update');
      }
      checkCollation(view['collation']);
      const arrayFilters = arrayFiltersOf(view);
      let coll = ctx.store.get(ctx.db, name);
      checkHint(coll, view['hint']);
      const matched = select(coll, q, { sort: view['sort'] as Document | undefined, limit: multi ? 0 : 1 });
      for (const doc of matched) {
        const result = updateExisting(doc.bytes, spec, q, arrayFilters);
        n++;
        if (result) {
          coll!.replace(doc, result.bytes, result.view);
          nModified++;
        }
      }
      if (matched.length === 0 && view['upsert'] === true) {
        const doc = upsertDocument(filterOf(typed), spec, arrayFilters);
        coll ??= ctx.store.getOrCreate(ctx.db, name);
        coll.insert(doc.bytes, doc.view);
        upserted.push({ index: i, _id: decodeTyped(doc.bytes)['_id'] });
        n++;
      }
    } catch (err) {
      errors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  const reply: Document = { n, nModified };
  if (upserted.length) reply['upserted'] = upserted;
  return withWriteErrors(reply, errors);
}

export function del(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const ordered = ctx.bool('ordered') ?? true;
  const stmts = statements(ctx, 'deletes');
  checkBatch(stmts.length);
  const errors: WriteError[] = [];
  let n = 0;
  for (let i = 0; i < stmts.length; i++) {
    const { view } = stmts[i]!;
    try {
      const q = filterOf(view);
      const limit = view['limit'];
      if (limit !== 0 && limit !== 1)
        throw new CommandError(Code.FailedToParse, `The limit field in delete objects must be 0 or 1. Got ${formatValue(limit)}`);
      checkCollation(view['collation']);
      const coll = ctx.store.get(ctx.db, name);
      checkHint(coll, view['hint']);
      for (const doc of select(coll, q, { limit })) if (coll!.remove(doc)) n++;
    } catch (err) {
      errors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return withWriteErrors({ n }, errors);
}

export function findAndModify(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const query = ctx.doc('query') ?? {};
  const remove = ctx.bool('remove') ?? false;
  const hasUpdate = ctx.cmd['update'] !== undefined;
  const returnNew = ctx.bool('new') ?? false;
  const upsert = ctx.bool('upsert') ?? false;
  if (remove && hasUpdate) throw new CommandError(Code.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && !hasUpdate) throw new CommandError(Code.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && upsert) throw new CommandError(Code.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew)
    throw new CommandError(
      Code.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  checkCollation(ctx.cmd['collation']);
  const render = projector(ctx.doc('fields'));
  let coll = ctx.store.get(ctx.db, name);
  checkHint(coll, ctx.cmd['hint']);
  const [target] = select(coll, query, { sort: ctx.doc('sort'), limit: 1 });

  if (remove) {
    if (!target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    const value = render(target);
    coll!.remove(target);
    return { lastErrorObject: { n: 1 }, value, ok: 1 };
  }

  const typedCmd = decodeTyped(ctx.body);
  const spec = parseUpdate(ctx.cmd['update'], typedCmd['update']);
  const arrayFilters = Array.isArray(ctx.cmd['arrayFilters']) ? (ctx.cmd['arrayFilters'] as Document[]) : undefined;
  if (target) {
    const result = updateExisting(target.bytes, spec, query, arrayFilters);
    const before = render(target);
    const after = result ? coll!.replace(target, result.bytes, result.view) : target;
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: returnNew ? render(after) : before, ok: 1 };
  }
  if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  const doc = upsertDocument((typedCmd['query'] as Document | undefined) ?? {}, spec, arrayFilters);
  coll ??= ctx.store.getOrCreate(ctx.db, name);
  const stored = coll.insert(doc.bytes, doc.view);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: decodeTyped(doc.bytes)['_id'] },
    value: returnNew ? render(stored) : null,
    ok: 1,
  };
}
