// The MongoDB stand-in driven through the real `mongodb` driver. Every test uses its own
// database, so the file runs unchanged against a real server: set MONGO_URL and the stand-in is
// not started at all (test/mongo-standin/target.test.ts checks that switch).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  ObjectId,
  type CommandStartedEvent,
  type Db,
} from 'mongodb';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';

let standin: MongoStandin | undefined;
let client: MongoClient;
const started: CommandStartedEvent[] = [];
let dbCounter = 0;
const usedDbs: string[] = [];

/** A fresh database for one test (names are unique per process, dropped at the end). */
function freshDb(): Db {
  const name = `standin_t${process.pid}_${++dbCounter}`;
  usedDbs.push(name);
  return client.db(name);
}

before(async () => {
  const url = process.env['MONGO_URL'] ?? (standin = await startMongoStandin()).url;
  client = new MongoClient(url, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  client.on('commandStarted', (ev) => started.push(ev));
  await client.connect();
});

after(async () => {
  for (const name of usedDbs) await client.db(name).dropDatabase().catch(() => undefined);
  await client.close();
  await standin?.close();
});

describe('connection', () => {
  it('connects and answers ping', async () => {
    const res = await client.db('admin').command({ ping: 1 });
    assert.equal(res['ok'], 1);
  });

  it('reports a server the driver supports through hello', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    assert.equal(hello['isWritablePrimary'], true);
    assert.ok((hello['maxWireVersion'] as number) >= 21, 'MongoDB 7.0 or later');
    assert.equal(hello['maxBsonObjectSize'], 16 * 1024 * 1024);
    assert.equal(typeof hello['logicalSessionTimeoutMinutes'], 'number');
  });

  it('connects with a declared server API (the handshake is then an OP_MSG hello)', async () => {
    const url = process.env['MONGO_URL'] ?? standin!.url;
    const versioned = new MongoClient(url, { serverApi: { version: '1' }, monitorCommands: true });
    const names: string[] = [];
    versioned.on('commandStarted', (e) => names.push(e.commandName));
    const countsBefore = standin?.commandCounts();
    try {
      await versioned.connect();
      const coll = versioned.db(freshDb().databaseName).collection('api');
      await coll.insertOne({ a: 1 });
      assert.equal((await coll.findOne({}, { projection: { _id: 0 } }))?.['a'], 1);
      assert.deepEqual(names.filter((n) => n !== 'hello'), ['insert', 'find']);
      if (standin && countsBefore) {
        const after = standin.commandCounts();
        assert.equal(after['isMaster'] ?? 0, countsBefore['isMaster'] ?? 0, 'no legacy OP_QUERY isMaster');
        assert.ok((after['hello'] ?? 0) >= (countsBefore['hello'] ?? 0) + 2, 'monitor and pool connection said hello');
      }
    } finally {
      await versioned.close();
    }
  });

  it('fails an unknown command with CommandNotFound (59)', async () => {
    await assert.rejects(client.db('admin').command({ frobnicate: 1 }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 59);
      assert.equal(err.codeName, 'CommandNotFound');
      assert.match(err.message, /no such command: 'frobnicate'/);
      return true;
    });
  });
});

describe('insert and find', () => {
  it('iterates 1000 documents across getMore batches of 50', async () => {
    const coll = freshDb().collection<{ i: number; even: boolean }>('many');
    const docs = Array.from({ length: 1000 }, (_, i) => ({ i, even: i % 2 === 0 }));
    const res = await coll.insertMany(docs);
    assert.equal(res.insertedCount, 1000);
    const before = started.length;
    const seen: number[] = [];
    for await (const doc of coll.find({}, { batchSize: 50 }).sort({ i: 1 })) seen.push(doc.i);
    assert.deepEqual(seen, docs.map((d) => d.i));
    const getMores = started.slice(before).filter((e) => e.commandName === 'getMore');
    assert.equal(getMores.length, 19, 'one find batch of 50 then 19 getMore batches');
  });

  it('applies filter, sort, skip, limit and projection', async () => {
    const coll = freshDb().collection('people');
    await coll.insertMany([
      { name: 'ann', age: 31, city: 'oslo', tags: ['a'] },
      { name: 'bob', age: 25, city: 'rome', tags: ['b'] },
      { name: 'cid', age: 40, city: 'oslo', tags: ['c'] },
      { name: 'dan', age: 35, city: 'oslo', tags: ['d'] },
      { name: 'eve', age: 22, city: 'oslo', tags: ['e'] },
    ]);
    const rows = await coll
      .find({ city: 'oslo', age: { $gte: 25 } }, { projection: { _id: 0, age: 1, name: 1 } })
      .sort({ age: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    assert.deepEqual(rows, [
      { name: 'dan', age: 35 },
      { name: 'ann', age: 31 },
    ]);
    assert.deepEqual(Object.keys(rows[0]!), ['name', 'age'], 'projection keeps document field order');
    const excluded = await coll.findOne({ name: 'bob' }, { projection: { tags: 0, _id: 0 } });
    assert.deepEqual(excluded, { name: 'bob', age: 25, city: 'rome' });
  });

  it('generates an ObjectId _id, stored first', async () => {
    const coll = freshDb().collection('ids');
    const res = await coll.insertOne({ a: 1 });
    assert.ok(res.insertedId instanceof ObjectId);
    const raw = await coll.db.command({ find: 'ids', filter: {} });
    const doc = (raw['cursor'] as { firstBatch: Record<string, unknown>[] }).firstBatch[0]!;
    assert.deepEqual(Object.keys(doc), ['_id', 'a']);
    await coll.insertOne({ b: 2, _id: 'x' } as never);
    const moved = await coll.findOne({ _id: 'x' } as never);
    assert.deepEqual(Object.keys(moved!), ['_id', 'b'], 'mongod moves _id to the front');
  });

  it('keeps BSON types intact through a round trip and an $inc', async () => {
    const coll = freshDb().collection('types');
    const id = new ObjectId();
    const when = new Date('2024-05-06T07:08:09.010Z');
    await coll.insertOne({
      _id: id,
      long: Long.fromString('9007199254740993'),
      smallLong: Long.fromNumber(5),
      dbl: new Double(2),
      int: new Int32(7),
      dec: Decimal128.fromString('1.10'),
      bin: new Binary(Buffer.from([1, 2, 3]), 0),
      when,
    });
    await coll.updateOne({ _id: id }, { $inc: { smallLong: 1, dbl: 1, int: 1 } });
    const doc = await coll.findOne({ _id: id }, { promoteValues: false, promoteLongs: false });
    assert.ok(doc);
    assert.equal(doc['long']._bsontype, 'Long');
    assert.equal(doc['long'].toString(), '9007199254740993');
    assert.equal(doc['smallLong']._bsontype, 'Long', '$inc keeps int64');
    assert.equal(doc['smallLong'].toString(), '6');
    assert.equal(doc['dbl']._bsontype, 'Double', '$inc keeps double');
    assert.equal(doc['dbl'].valueOf(), 3);
    assert.equal(doc['int']._bsontype, 'Int32');
    assert.equal(doc['int'].valueOf(), 8);
    assert.equal(doc['dec'].toString(), '1.10');
    assert.deepEqual(Buffer.from(doc['bin'].buffer), Buffer.from([1, 2, 3]));
    assert.equal((doc['when'] as Date).getTime(), when.getTime());
    assert.ok(id.equals(doc['_id'] as ObjectId));
    const byDate = await coll.countDocuments({ when: { $gt: new Date('2024-01-01'), $lt: new Date('2025-01-01') } });
    assert.equal(byDate, 1);
  });
});

describe('BSON comparison semantics', () => {
  it('matches Binary values byte for byte, in queries and unique indexes', async () => {
    const coll = freshDb().collection('bin');
    const bin = (...bytes: number[]) => new Binary(Buffer.from(bytes));
    await coll.insertMany([{ d: bin(1, 2, 0xff) }, { d: bin(1, 2, 0xfe) }]);
    const hits = await coll.find({ d: bin(1, 2, 0xfe) }).toArray();
    assert.equal(hits.length, 1);
    assert.deepEqual([...(hits[0]!['d'] as Binary).buffer], [1, 2, 0xfe]);
    assert.equal(await coll.countDocuments({ d: { $in: [bin(1, 2, 0xff), bin(9)] } }), 1);
    await coll.createIndex({ d: 1 }, { unique: true });
    await coll.insertOne({ d: bin(1, 2, 0xfd) });
    await assert.rejects(coll.insertOne({ d: bin(1, 2, 0xff) }), { code: 11000 });
  });

  it('sorts across numeric types, null and strings, arrays by their min or max element', async () => {
    const coll = freshDb().collection('sort');
    await coll.insertMany([
      { _id: 'int', v: 2 },
      { _id: 'str', v: 'a' },
      { _id: 'dbl', v: 1.5 },
      { _id: 'null', v: null },
      { _id: 'long', v: Long.fromNumber(3) },
      { _id: 'arr', v: [10, 0.5] },
    ] as never[]);
    const asc = (await coll.find({}, { sort: { v: 1 } }).toArray()).map((d) => d._id);
    assert.deepEqual(asc, ['null', 'arr', 'dbl', 'int', 'long', 'str']);
    const desc = (await coll.find({}, { sort: { v: -1 } }).toArray()).map((d) => d._id);
    assert.deepEqual(desc, ['str', 'arr', 'long', 'int', 'dbl', 'null']);
    const numeric = await coll.countDocuments({ v: { $gt: 1, $lt: 3 } });
    assert.equal(numeric, 3, 'int 2, double 1.5 and the array (element 10 > 1, element 0.5 < 3)');
  });
});

describe('updates', () => {
  it('updateOne and updateMany apply update operators', async () => {
    const coll = freshDb().collection('u');
    await coll.insertMany([
      { _id: 1, n: 1, tags: ['x'], hi: 5, lo: 5, gone: true, list: [1, 2, 3, 2] },
      { _id: 2, n: 10, tags: [], hi: 1, lo: 1 },
      { _id: 3, n: 100, tags: [], hi: 1, lo: 1 },
    ] as never[]);
    const one = await coll.updateOne(
      { _id: 1 } as never,
      {
        $set: { 'nested.deep': 'yes' },
        $unset: { gone: '' },
        $inc: { n: 4 },
        $push: { tags: 'y' },
        $addToSet: { set: { $each: ['p', 'p', 'q'] } },
        $max: { hi: 9 },
        $min: { lo: 2 },
        $currentDate: { touched: true },
        $pull: { list: 2 },
      } as never,
    );
    assert.equal(one.matchedCount, 1);
    assert.equal(one.modifiedCount, 1);
    const doc = await coll.findOne({ _id: 1 } as never);
    assert.ok(doc);
    assert.equal(doc['n'], 5);
    assert.deepEqual(doc['nested'], { deep: 'yes' });
    assert.equal('gone' in doc, false);
    assert.deepEqual(doc['tags'], ['x', 'y']);
    assert.deepEqual(doc['set'], ['p', 'q']);
    assert.equal(doc['hi'], 9);
    assert.equal(doc['lo'], 2);
    assert.ok(doc['touched'] instanceof Date);
    assert.deepEqual(doc['list'], [1, 3]);

    const many = await coll.updateMany({ n: { $gte: 10 } }, { $inc: { n: 1 } });
    assert.equal(many.matchedCount, 2);
    assert.equal(many.modifiedCount, 2);
    const ns = (await coll.find({}, { sort: { _id: 1 } }).toArray()).map((d) => d['n']);
    assert.deepEqual(ns, [5, 11, 101]);
  });

  it('reports a no-op update as matched but not modified', async () => {
    const coll = freshDb().collection('noop');
    await coll.insertOne({ _id: 1, a: 1 } as never);
    const res = await coll.updateOne({ _id: 1 } as never, { $set: { a: 1 } });
    assert.equal(res.matchedCount, 1);
    assert.equal(res.modifiedCount, 0);
  });

  it('upserts with $setOnInsert and the query equality fields', async () => {
    const coll = freshDb().collection('ups');
    const first = await coll.updateOne(
      { key: 'k1', 'meta.kind': 'a' },
      { $set: { v: 1 }, $setOnInsert: { created: 'once' } },
      { upsert: true },
    );
    assert.equal(first.upsertedCount, 1);
    assert.equal(first.matchedCount, 0);
    assert.ok(first.upsertedId instanceof ObjectId);
    const second = await coll.updateOne(
      { key: 'k1', 'meta.kind': 'a' },
      { $set: { v: 2 }, $setOnInsert: { created: 'twice' } },
      { upsert: true },
    );
    assert.equal(second.upsertedCount, 0);
    assert.equal(second.matchedCount, 1);
    const docs = await coll.find({}, { projection: { _id: 0 } }).toArray();
    assert.deepEqual(docs, [{ key: 'k1', meta: { kind: 'a' }, v: 2, created: 'once' }]);
  });

  it('replaceOne keeps _id and upserts a replacement', async () => {
    const coll = freshDb().collection('rep');
    const { insertedId } = await coll.insertOne({ a: 1, b: 2 });
    const res = await coll.replaceOne({ _id: insertedId }, { c: 3 });
    assert.equal(res.modifiedCount, 1);
    assert.deepEqual(await coll.findOne({ _id: insertedId }), { _id: insertedId, c: 3 });
    const up = await coll.replaceOne({ _id: 'fixed' } as never, { d: 4 }, { upsert: true });
    assert.equal(up.upsertedId, 'fixed');
    assert.deepEqual(await coll.findOne({ _id: 'fixed' } as never), { _id: 'fixed', d: 4 });
    await assert.rejects(coll.replaceOne({ _id: insertedId }, { _id: new ObjectId(), e: 5 }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 66, 'ImmutableField');
      return true;
    });
  });

  it('refuses an operator applied to the wrong type', async () => {
    const coll = freshDb().collection('bad');
    await coll.insertOne({ _id: 1, s: 'text' } as never);
    await assert.rejects(coll.updateOne({ _id: 1 } as never, { $inc: { s: 1 } } as never), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 14, 'TypeMismatch');
      return true;
    });
    await assert.rejects(coll.updateOne({ _id: 1 } as never, { $push: { s: 1 } } as never), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 2, 'BadValue');
      return true;
    });
  });
});

describe('findAndModify', () => {
  it('returns the document before or after, and upserts', async () => {
    const coll = freshDb().collection('fam');
    await coll.insertMany([
      { _id: 1, q: 'x', n: 1 },
      { _id: 2, q: 'x', n: 2 },
    ] as never[]);
    const beforeDoc = await coll.findOneAndUpdate({ q: 'x' }, { $inc: { n: 10 } }, { sort: { n: -1 }, returnDocument: 'before' });
    assert.deepEqual(beforeDoc, { _id: 2, q: 'x', n: 2 });
    const afterDoc = await coll.findOneAndUpdate(
      { q: 'x' },
      { $inc: { n: 10 } },
      { sort: { n: 1 }, returnDocument: 'after', projection: { q: 0 } },
    );
    assert.deepEqual(afterDoc, { _id: 1, n: 11 });
    const none = await coll.findOneAndUpdate({ q: 'nope' }, { $set: { n: 0 } });
    assert.equal(none, null);
    const upserted = await coll.findOneAndUpdate(
      { q: 'new' },
      { $set: { n: 7 } },
      { upsert: true, returnDocument: 'after' },
    );
    assert.equal(upserted?.['q'], 'new');
    assert.equal(upserted?.['n'], 7);
    const meta = await coll.findOneAndUpdate({ q: 'new2' }, { $set: { n: 8 } }, { upsert: true, includeResultMetadata: true });
    assert.equal(meta.value, null, 'returnDocument defaults to before: nothing existed');
    assert.equal(meta.lastErrorObject?.['updatedExisting'], false);
    assert.ok(meta.lastErrorObject?.['upserted'] instanceof ObjectId);
  });

  it('findOneAndDelete and findOneAndReplace', async () => {
    const coll = freshDb().collection('fam2');
    await coll.insertMany([
      { _id: 1, k: 'a' },
      { _id: 2, k: 'b' },
    ] as never[]);
    const deleted = await coll.findOneAndDelete({ k: 'a' });
    assert.deepEqual(deleted, { _id: 1, k: 'a' });
    assert.equal(await coll.countDocuments(), 1);
    const replaced = await coll.findOneAndReplace({ k: 'b' }, { k: 'c' }, { returnDocument: 'after' });
    assert.deepEqual(replaced, { _id: 2, k: 'c' });
  });
});

describe('deletes, counts, distinct, aggregate', () => {
  it('deleteOne and deleteMany', async () => {
    const coll = freshDb().collection('del');
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }]);
    assert.equal((await coll.deleteOne({ k: 1 })).deletedCount, 1);
    assert.equal((await coll.deleteMany({ k: 1 })).deletedCount, 2);
    assert.equal((await coll.deleteMany({ k: 9 })).deletedCount, 0);
    assert.equal(await coll.countDocuments(), 1);
  });

  it('countDocuments (aggregate), estimatedDocumentCount (count) and distinct', async () => {
    const coll = freshDb().collection('cnt');
    await coll.insertMany(Array.from({ length: 30 }, (_, i) => ({ i, g: i % 3, tags: [`t${i % 2}`, 'all'] })));
    const before = started.length;
    assert.equal(await coll.countDocuments({ g: 1 }), 10);
    assert.equal(await coll.countDocuments({}, { skip: 5, limit: 10 }), 10);
    assert.equal(await coll.countDocuments({ g: 7 }), 0);
    assert.ok(started.slice(before).some((e) => e.commandName === 'aggregate'), 'countDocuments runs an aggregate');
    assert.equal(await coll.estimatedDocumentCount(), 30);
    assert.deepEqual((await coll.distinct('g')).sort(), [0, 1, 2]);
    assert.deepEqual((await coll.distinct('tags', { g: 0 })).sort(), ['all', 't0', 't1']);
  });

  it('aggregate with $match, $group, $sort, $project, $skip, $limit and $count', async () => {
    const coll = freshDb().collection('agg');
    await coll.insertMany([
      { team: 'a', pts: 3 },
      { team: 'b', pts: 5 },
      { team: 'a', pts: 4 },
      { team: 'c', pts: 1 },
      { team: 'b', pts: 2 },
    ]);
    const rows = await coll
      .aggregate([
        { $match: { pts: { $gte: 2 } } },
        { $group: { _id: '$team', total: { $sum: '$pts' }, n: { $sum: 1 } } },
        { $sort: { total: -1 } },
        { $project: { _id: 0, team: '$_id', total: 1, n: 1 } },
      ])
      .toArray();
    assert.deepEqual(
      rows.map((r) => [r['team'], r['total'], r['n']]),
      [
        ['a', 7, 2],
        ['b', 7, 2],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    const counted = await coll.aggregate([{ $sort: { pts: 1 } }, { $skip: 1 }, { $limit: 3 }, { $count: 'c' }]).toArray();
    assert.deepEqual(counted, [{ c: 3 }]);
  });
});

describe('indexes', () => {
  it('a unique index refuses a duplicate with E11000 (code 11000)', async () => {
    const coll = freshDb().collection('uniq');
    assert.equal(await coll.createIndex({ email: 1 }, { unique: true }), 'email_1');
    await coll.insertOne({ email: 'a@example.org' });
    await assert.rejects(coll.insertOne({ email: 'a@example.org' }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 11000);
      assert.match(err.message, /E11000 duplicate key error collection: .*uniq index: email_1 dup key/);
      assert.deepEqual(err['keyPattern'], { email: 1 });
      assert.deepEqual(err['keyValue'], { email: 'a@example.org' });
      return true;
    });
    await coll.insertOne({ email: 'b@example.org' });
    await assert.rejects(coll.updateOne({ email: 'b@example.org' }, { $set: { email: 'a@example.org' } }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 11000);
      return true;
    });
    await assert.rejects(coll.insertOne({ _id: (await coll.findOne({}))!._id, email: 'c@example.org' }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 11000, 'duplicate _id');
      assert.match(err.message, /index: _id_ dup key/);
      return true;
    });
  });

  it('insertMany: ordered stops at the first duplicate, unordered carries on', async () => {
    const db = freshDb();
    const ordered = db.collection('ord');
    await ordered.createIndex({ k: 1 }, { unique: true });
    const docs = [{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }, { k: 2 }, { k: 4 }];
    await assert.rejects(ordered.insertMany(docs.map((d) => ({ ...d }))), (err: unknown) => {
      assert.ok(err instanceof MongoBulkWriteError);
      assert.equal(err.result.insertedCount, 2);
      assert.equal(err.writeErrors instanceof Array ? err.writeErrors.length : 1, 1);
      return true;
    });
    assert.equal(await ordered.countDocuments(), 2);

    const unordered = db.collection('unord');
    await unordered.createIndex({ k: 1 }, { unique: true });
    await assert.rejects(unordered.insertMany(docs.map((d) => ({ ...d })), { ordered: false }), (err: unknown) => {
      assert.ok(err instanceof MongoBulkWriteError);
      assert.equal(err.result.insertedCount, 4);
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      assert.deepEqual(errors.map((e) => e.index), [2, 4]);
      assert.ok(errors.every((e) => e.code === 11000));
      return true;
    });
    assert.equal(await unordered.countDocuments(), 4);
  });

  it('compound and partial unique indexes', async () => {
    const coll = freshDb().collection('compound');
    await coll.createIndex({ digest: 1, platform: 1 }, { unique: true });
    await coll.insertOne({ digest: 'd1', platform: 'amd64' });
    await coll.insertOne({ digest: 'd1', platform: 'arm64' });
    await coll.insertOne({ digest: 'd2', platform: 'amd64' });
    await assert.rejects(coll.insertOne({ digest: 'd1', platform: 'arm64' }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 11000);
      assert.deepEqual(err['keyValue'], { digest: 'd1', platform: 'arm64' });
      return true;
    });

    const partial = coll.db.collection('partial');
    await partial.createIndex({ name: 1 }, { unique: true, partialFilterExpression: { active: { $eq: true } } });
    await partial.insertOne({ name: 'p', active: true });
    await partial.insertOne({ name: 'p', active: false });
    await partial.insertOne({ name: 'p' });
    await assert.rejects(partial.insertOne({ name: 'p', active: true }), { code: 11000 });

    const present = coll.db.collection('present');
    await present.createIndex({ ext: 1 }, { unique: true, partialFilterExpression: { ext: { $exists: true } } });
    await present.insertMany([{ a: 1 }, { a: 2 }, { ext: 'x' }]);
    await assert.rejects(present.insertOne({ ext: 'x' }), { code: 11000 });
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const coll = freshDb().collection('late');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    await assert.rejects(coll.createIndex({ k: 1 }, { unique: true }), { code: 11000 });
  });

  it('listIndexes and dropIndex', async () => {
    const coll = freshDb().collection('li');
    await coll.createIndex({ a: 1 }, { unique: true });
    await coll.createIndex({ b: -1, c: 1 }, { name: 'bc' });
    await coll.createIndex({ ttl: 1 }, { expireAfterSeconds: 3600 });
    const indexes = await coll.listIndexes().toArray();
    assert.deepEqual(
      indexes.map((i) => [i['name'], i['key'], i['unique'] ?? false]),
      [
        ['_id_', { _id: 1 }, false],
        ['a_1', { a: 1 }, true],
        ['bc', { b: -1, c: 1 }, false],
        ['ttl_1', { ttl: 1 }, false],
      ],
    );
    assert.equal(indexes[3]?.['expireAfterSeconds'], 3600);
    await coll.dropIndex('a_1');
    await coll.insertMany([{ a: 1 }, { a: 1 }]); // no longer unique
    assert.deepEqual((await coll.listIndexes().toArray()).map((i) => i['name']), ['_id_', 'bc', 'ttl_1']);
    await assert.rejects(coll.dropIndex('nope'), { code: 27 });
  });
});

describe('collections', () => {
  it('create, listCollections, rename, drop', async () => {
    const db = freshDb();
    await db.createCollection('one');
    await assert.rejects(db.createCollection('one'), { code: 48 });
    await db.collection('two').insertOne({ x: 1 });
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    assert.deepEqual(names, ['one', 'two']);
    await db.collection('two').rename('three');
    assert.equal(await db.collection('three').countDocuments(), 1);
    assert.equal(await db.collection('two').countDocuments(), 0);
    assert.equal(await db.collection('three').drop(), true);
    const after = (await db.listCollections().toArray()).map((c) => c.name);
    assert.deepEqual(after, ['one']);
  });
});

describe('limits and boundaries', () => {
  it('refuses a document above 16 MiB and accepts one just below', async () => {
    const coll = freshDb().collection('big');
    const big = 'x'.repeat(16 * 1024 * 1024 + 10);
    await assert.rejects(coll.insertOne({ big }), (err: unknown) => {
      assert.ok(err instanceof Error);
      if (err instanceof MongoServerError) assert.equal(err.code, 10334, 'BSONObjectTooLarge');
      return true;
    });
    assert.equal(await coll.countDocuments(), 0);
    const near = 'y'.repeat(16 * 1024 * 1024 - 100);
    const { insertedId } = await coll.insertOne({ near });
    const back = await coll.findOne({ _id: insertedId });
    assert.equal((back?.['near'] as string).length, near.length);
    // Growing a stored document past the limit is refused too, and leaves it unchanged.
    await assert.rejects(coll.updateOne({ _id: insertedId }, { $set: { more: 'z'.repeat(200) } }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 10334);
      return true;
    });
    const unchanged = await coll.findOne({ _id: insertedId }, { projection: { more: 1 } });
    assert.deepEqual(unchanged, { _id: insertedId });
  });

  it('a transaction fails clearly on a standalone server', async (t) => {
    const hello = await client.db('admin').command({ hello: 1 });
    if (hello['setName'] !== undefined || hello['msg'] === 'isdbgrid') {
      t.skip('target supports transactions');
      return;
    }
    const coll = freshDb().collection('txn');
    const session = client.startSession();
    try {
      session.startTransaction();
      // The server answers code 20 IllegalOperation; for a write the driver rewraps that as
      // its "does not support retryable writes" error, keeping the server's as originalError.
      await assert.rejects(coll.insertOne({ a: 1 }, { session }), (err: unknown) => {
        assert.ok(err instanceof MongoServerError);
        assert.match(err.message, /does not support retryable writes/);
        const original = (err as MongoServerError & { originalError?: MongoServerError }).originalError;
        assert.ok(original instanceof MongoServerError);
        assert.equal(original.code, 20, 'IllegalOperation');
        assert.match(original.message, /Transaction numbers are only allowed on a replica set member or mongos/);
        return true;
      });
      // A read inside the transaction reaches the server's own error unchanged.
      await assert.rejects(coll.findOne({}, { session }), (err: unknown) => {
        assert.ok(err instanceof MongoServerError);
        assert.equal(err.code, 20);
        return true;
      });
      await session.abortTransaction().catch(() => undefined);
    } finally {
      await session.endSession();
    }
    assert.equal(await coll.countDocuments(), 0);
  });
});
