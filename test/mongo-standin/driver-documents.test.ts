// The MongoDB stand-in driven through the real `mongodb` driver: connecting, inserting and
// finding, BSON comparison, updates, findAndModify.
// Every test uses its own database, so the file runs unchanged against a real server: set
// MONGO_URL and the stand-in is not started at all (test/mongo-standin/target.test.ts checks
// that switch).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Binary, Decimal128, Double, Int32, Long, MongoClient, MongoServerError, ObjectId } from 'mongodb';
import { client, freshDb, standin, started, useDriverTarget } from './driver-target.ts';

useDriverTarget();

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
      assert.deepEqual(
        names.filter((n) => n !== 'hello'),
        ['insert', 'find'],
      );
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
    assert.deepEqual(
      seen,
      docs.map((d) => d.i),
    );
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
    const upserted = await coll.findOneAndUpdate({ q: 'new' }, { $set: { n: 7 } }, { upsert: true, returnDocument: 'after' });
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
