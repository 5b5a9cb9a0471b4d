// The MongoDB stand-in driven through the real `mongodb` driver: deletes, counts, distinct and
// aggregate, indexes, collections, and the limits of documents and transactions.
// Every test uses its own database, so the file runs unchanged against a real server: set
// MONGO_URL and the stand-in is not started at all (test/mongo-standin/target.test.ts checks
// that switch).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { client, freshDb, started, useDriverTarget } from './driver-target.ts';

useDriverTarget();

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
    assert.ok(
      started.slice(before).some((e) => e.commandName === 'aggregate'),
      'countDocuments runs an aggregate',
    );
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
    await assert.rejects(
      unordered.insertMany(
        docs.map((d) => ({ ...d })),
        { ordered: false },
      ),
      (err: unknown) => {
        assert.ok(err instanceof MongoBulkWriteError);
        assert.equal(err.result.insertedCount, 4);
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        assert.deepEqual(
          errors.map((e) => e.index),
          [2, 4],
        );
        assert.ok(errors.every((e) => e.code === 11000));
        return true;
      },
    );
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
    assert.deepEqual(
      (await coll.listIndexes().toArray()).map((i) => i['name']),
      ['_id_', 'bc', 'ttl_1'],
    );
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
