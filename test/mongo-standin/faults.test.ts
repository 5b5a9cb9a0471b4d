// Injected faults, seen through the real driver: a failed command surfaces (or is retried,
// where the driver retries), dropped connections become network errors, and a stopped and
// restarted stand-in keeps its data while the driver reconnects by itself. These test the
// stand-in's own fault machinery, so they always run against the stand-in.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { MongoClient, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';

let standin: MongoStandin;
let client: MongoClient;

before(async () => {
  standin = await startMongoStandin();
  client = new MongoClient(standin.url, { serverSelectionTimeoutMS: 1500, heartbeatFrequencyMS: 500 });
  await client.connect();
});

afterEach(() => {
  standin.faults.clear();
});

after(async () => {
  await client.close();
  await standin.close();
});

const count = (name: string): number => standin.commandCounts()[name] ?? 0;

describe('failNext', () => {
  it('surfaces an injected server error once, then the command works again', async () => {
    const coll = client.db('faults').collection('fail');
    await coll.insertOne({ a: 1 });
    standin.faults.failNext('find', { code: 2, errmsg: 'injected bad value' });
    await assert.rejects(coll.findOne({}), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 2);
      assert.equal(err.codeName, 'BadValue');
      assert.equal(err.message, 'injected bad value');
      return true;
    });
    assert.equal((await coll.findOne({}))?.['a'], 1);
  });

  it('a retryable error on a read is retried by the driver', async () => {
    const coll = client.db('faults').collection('retry');
    await coll.insertOne({ a: 1 });
    const finds = count('find');
    standin.faults.failNext('find', { code: 91, errmsg: 'shutting down' });
    assert.equal((await coll.findOne({}))?.['a'], 1);
    assert.equal(count('find') - finds, 2, 'first attempt failed, the retry succeeded');
  });

  it('a write is not retried against a standalone, so its error surfaces', async () => {
    const coll = client.db('faults').collection('noretry');
    const inserts = count('insert');
    standin.faults.failNext('insert', { code: 91, errmsg: 'shutting down', errorLabels: ['RetryableWriteError'] });
    await assert.rejects(coll.insertOne({ a: 1 }), (err: unknown) => {
      assert.ok(err instanceof MongoServerError);
      assert.equal(err.code, 91);
      assert.ok(err.hasErrorLabel('RetryableWriteError'));
      return true;
    });
    assert.equal(count('insert') - inserts, 1);
    assert.equal(await coll.countDocuments(), 0);
  });
});

describe('connections and restarts', () => {
  it('dropped connections fail the operation; after a restart the driver reconnects and data is kept', async () => {
    const coll = client.db('faults').collection('restart');
    await coll.insertMany([{ n: 1 }, { n: 2 }]);
    standin.faults.closeConnectionsOnNext('insert');
    await assert.rejects(coll.insertOne({ n: 3 }), (err: unknown) => {
      assert.ok(err instanceof MongoNetworkError, `expected a network error, got ${String(err)}`);
      return true;
    });

    await standin.close();
    assert.equal(standin.running, false);
    await assert.rejects(coll.countDocuments(), (err: unknown) => {
      assert.ok(err instanceof MongoServerSelectionError || err instanceof MongoNetworkError, String(err));
      return true;
    });

    await standin.restart();
    assert.equal(standin.running, true);
    await coll.insertOne({ n: 4 });
    const ns = (await coll.find({}, { sort: { n: 1 } }).toArray()).map((d) => d['n']);
    assert.deepEqual(ns, [1, 2, 4], 'data from before the restart is still there; the dropped insert never ran');
  });

  it('open cursors do not survive a restart (CursorNotFound)', async () => {
    const coll = client.db('faults').collection('cursor');
    await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const cursor = coll.find({}, { batchSize: 2 });
    assert.equal((await cursor.next())?.['i'], 0);
    await standin.restart();
    await assert.rejects(cursor.toArray(), (err: unknown) => {
      assert.ok(err instanceof MongoServerError || err instanceof MongoNetworkError, String(err));
      if (err instanceof MongoServerError) assert.equal(err.code, 43);
      return true;
    });
    await cursor.close().catch(() => undefined);
    assert.equal(await coll.countDocuments(), 10);
  });

  it('delay slows replies; a client socket timeout then fails the operation', async () => {
    const coll = client.db('faults').collection('slow');
    await coll.insertOne({ a: 1 });
    standin.faults.delay(300, 'find');
    const t0 = Date.now();
    await coll.findOne({});
    assert.ok(Date.now() - t0 >= 290, 'find waited for the injected delay');
    const impatient = new MongoClient(standin.url, { socketTimeoutMS: 100, serverSelectionTimeoutMS: 1500 });
    try {
      await impatient.connect();
      await assert.rejects(impatient.db('faults').collection('slow').findOne({}), (err: unknown) => {
        assert.ok(err instanceof MongoNetworkError, String(err));
        return true;
      });
    } finally {
      await impatient.close();
    }
    standin.faults.delay(0);
    const t1 = Date.now();
    await coll.findOne({});
    assert.ok(Date.now() - t1 < 250, 'delay(0) turns the delay off');
  });

  it('dropAll empties every database', async () => {
    await client.db('faults').collection('gone').insertOne({ a: 1 });
    standin.dropAll();
    const { databases } = await client.db('admin').admin().listDatabases();
    assert.deepEqual(databases, []);
  });
});
