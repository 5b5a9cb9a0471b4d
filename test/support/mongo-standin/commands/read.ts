// Read commands: find, getMore, killCursors, count, distinct, aggregate. Results come back
// through server-side cursors in mongod's reply shape: {cursor: {id, ns, firstBatch|nextBatch}}.
import { Aggregator, ProcessingMode } from 'mingo';
import { Long, type Document } from 'bson';
import { CommandContext, typeName } from '../context.ts';
import { Code, CommandError, fromUnknown, notImplemented } from '../errors.ts';
import { checkCollation, checkHint, projector, select } from '../query.ts';
import type { StoredDoc } from '../store.ts';
import { isPlainObject, keyString, valuesAtPath } from '../values.ts';

function batchSizeOf(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new CommandError(
      Code.TypeMismatch,
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected types '[long, int, decimal, double]'`,
    );
  }
  if (value < 0) throw new CommandError(51024, `BSON field '${field}' value must be >= 0, actual value '${value}'`);
  return value;
}

function nonNegative(ctx: CommandContext, field: string): number | undefined {
  const v = ctx.number(field);
  if (v !== undefined && v < 0) throw new CommandError(51024, `BSON field '${field}' value must be >= 0, actual value '${v}'`);
  return v;
}

export function find(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const ns = `${ctx.db}.${name}`;
  if (ctx.bool('tailable') || ctx.bool('awaitData')) throw notImplemented('tailable cursors');
  for (const opt of ['min', 'max', 'returnKey', 'showRecordId']) {
    if (ctx.cmd[opt] !== undefined && ctx.cmd[opt] !== false) throw notImplemented(`the find option '${opt}'`);
  }
  checkCollation(ctx.cmd['collation']);
  const coll = ctx.store.get(ctx.db, name);
  checkHint(coll, ctx.cmd['hint']);
  let limit = ctx.number('limit');
  let singleBatch = ctx.bool('singleBatch') ?? false;
  if (limit !== undefined && limit < 0) {
    // Legacy negative limit: one batch of |limit| documents.
    limit = -limit;
    singleBatch = true;
  }
  const docs = select(coll, ctx.doc('filter'), { sort: ctx.doc('sort'), skip: nonNegative(ctx, 'skip'), limit });
  const render = projector(ctx.doc('projection'));
  // The limit already bounds `docs`, so the cursor needs only the batch size.
  const batchSize = batchSizeOf(ctx.cmd['batchSize'], 'find.batchSize');
  const { id, batch } = ctx.cursors.start(ns, docs, (d) => render(d as StoredDoc), batchSize, singleBatch);
  return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
}

export function getMore(ctx: CommandContext): Document {
  const raw = ctx.target;
  let id: Long;
  if (raw instanceof Long) id = raw;
  else if (typeof raw === 'number' && Number.isInteger(raw)) id = Long.fromNumber(raw);
  else throw new CommandError(Code.TypeMismatch, `BSON field 'getMore.getMore' is the wrong type '${typeName(raw)}', expected type 'long'`);
  const collection = ctx.string('collection', true);
  const size = batchSizeOf(ctx.cmd['batchSize'], 'getMore.batchSize');
  const { id: next, ns, batch } = ctx.cursors.more(id, `${ctx.db}.${collection}`, size === 0 ? undefined : size);
  return { cursor: { nextBatch: batch, id: next, ns }, ok: 1 };
}

export function killCursors(ctx: CommandContext): Document {
  ctx.collectionName();
  const ids = ctx.cmd['cursors'];
  if (!Array.isArray(ids)) throw new CommandError(Code.FailedToParse, "BSON field 'killCursors.cursors' is missing but a required field");
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const raw of ids) {
    const id = raw instanceof Long ? raw : Long.fromNumber(Number(raw));
    (ctx.cursors.kill(id) ? killed : notFound).push(id);
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

export function count(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  checkCollation(ctx.cmd['collation']);
  const coll = ctx.store.get(ctx.db, name);
  checkHint(coll, ctx.cmd['hint']);
  const limit = Math.abs(ctx.number('limit') ?? 0);
  const n = select(coll, ctx.doc('query'), { skip: nonNegative(ctx, 'skip'), limit }).length;
  return { n, ok: 1 };
}

export function distinct(ctx: CommandContext): Document {
  const name = ctx.collectionName();
  const key = ctx.string('key', true);
  checkCollation(ctx.cmd['collation']);
  const coll = ctx.store.get(ctx.db, name);
  const seen = new Set<string>();
  const values: unknown[] = [];
  for (const doc of select(coll, ctx.doc('query'))) {
    // valuesAtPath unwinds arrays as distinct does; a missing field contributes nothing.
    for (const v of valuesAtPath(doc.view, key)) {
      if (v === undefined) continue;
      const k = keyString(v);
      if (!seen.has(k)) {
        seen.add(k);
        values.push(v);
      }
    }
  }
  return { values, ok: 1 };
}

const UNSUPPORTED_STAGES = new Set([
  '$out',
  '$merge',
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$collStats',
  '$indexStats',
  '$search',
  '$geoNear',
  '$planCacheStats',
]);

export function aggregate(ctx: CommandContext): Document {
  const target = ctx.target;
  if (typeof target !== 'string') throw notImplemented('database-level aggregate ({aggregate: 1})');
  const ns = `${ctx.db}.${target}`;
  const pipeline = ctx.cmd['pipeline'];
  if (!Array.isArray(pipeline))
    throw new CommandError(Code.TypeMismatch, "BSON field 'aggregate.pipeline' is the wrong type, expected type 'array'");
  if (ctx.cmd['explain']) throw notImplemented('explain');
  const cursorOpt = ctx.cmd['cursor'];
  if (!isPlainObject(cursorOpt))
    throw new CommandError(Code.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
    }
    const op = Object.keys(stage)[0]!;
    if (UNSUPPORTED_STAGES.has(op)) throw notImplemented(`the ${op} aggregation stage`);
  }
  checkCollation(ctx.cmd['collation']);
  const coll = ctx.store.get(ctx.db, target);
  checkHint(coll, ctx.cmd['hint']);
  // A leading $match is applied here so the query engine sees only matching documents.
  let stages = pipeline as Document[];
  let input: Document[];
  const first = stages[0];
  if (first && '$match' in first) {
    input = select(coll, first['$match'] as Document).map((d) => d.view);
    stages = stages.slice(1);
  } else {
    input = coll ? [...coll.all()].map((d) => d.view) : [];
  }
  let results: Document[];
  try {
    const agg = new Aggregator(stages, {
      processingMode: ProcessingMode.CLONE_INPUT, // stored views are shared and must not change
      collectionResolver: (name: string) => [...(ctx.store.get(ctx.db, name)?.all() ?? [])].map((d) => d.view),
      variables: isPlainObject(ctx.cmd['let']) ? (ctx.cmd['let'] as Document) : {},
    });
    results = agg.run(input) as Document[];
  } catch (err) {
    throw fromUnknown(err);
  }
  const batchSize = batchSizeOf(cursorOpt['batchSize'], 'aggregate.cursor.batchSize');
  const { id, batch } = ctx.cursors.start(ns, results, (d) => d as Document, batchSize);
  return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
}
