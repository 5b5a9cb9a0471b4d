// The store contract on the MongoDB adapter: against a real server when MONGO_URL is set,
// otherwise against the wire-protocol stand-in (test/support/mongo-standin), which the real
// driver talks to. Plus what only MongoDB has: start-up against an unreachable server, the
// indexes, the command boundary, and a server that goes away mid-work.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Binary } from 'mongodb';
import { MONGO_INDEXES, openMongoStore, openStore, StoreUnavailableError, type Store } from '@assay/store';
import { freePort } from '../support/ports.ts';
import type { MongoStandin } from '../support/mongo-standin/index.ts';
import { runStoreContract } from './contract.ts';
import { imagePolicy, scanReport } from './fixtures.ts';

const REAL_URL = process.env.MONGO_URL;
let standin: MongoStandin | undefined;
let starting: Promise<string> | undefined;

/** The server under test; the stand-in is started on first use. */
function serverUrl(): Promise<string> {
  if (REAL_URL) return Promise.resolve(REAL_URL);
  starting ??= import('../support/mongo-standin/index.ts').then(async (m) => {
    standin = await m.startMongoStandin();
    return standin.url;
  });
  return starting;
}

after(async () => {
  await standin?.close();
});

const freshDbName = () => `assay_test_${randomBytes(5).toString('hex')}`;

type MongoStore = Awaited<ReturnType<typeof openMongoStore>>;

runStoreContract(`mongodb (${REAL_URL ? 'MONGO_URL' : 'stand-in'})`, async (options = {}) => {
  const url = await serverUrl();
  const dbName = freshDbName();
  const opened: MongoStore[] = [];
  const open = async () => {
    const s = await openMongoStore({ ...options, url, dbName, serverSelectionTimeoutMS: 5000, maxPoolSize: 10 });
    opened.push(s);
    return s;
  };
  const store = await open();
  const db = store.db;
  return {
    store,
    openAnother: open,
    async writeRaw(collection, doc) {
      if (collection === 'inventory') await db.collection(collection).insertOne({ _id: doc.digest as never, ...doc });
      else if (collection === 'reportChunks') {
        await db.collection(collection).insertOne({ ...doc, data: new Binary(doc.data as Buffer) });
      } else await db.collection(collection).insertOne({ ...doc });
    },
    countRaw: (collection) => db.collection(collection).countDocuments({}),
    async close() {
      await db.dropDatabase().catch(() => {});
      for (const s of opened) await s.close();
    },
  };
});

describe('mongodb: start-up', () => {
  it('an unreachable server fails start-up within seconds, naming the host and not the password', async () => {
    const port = await freePort();
    const started = performance.now();
    await assert.rejects(
      openStore({ MONGO_URL: `mongodb://assay:s3cr3t-pw@127.0.0.1:${port}/?directConnection=true`, MONGO_SERVER_SELECTION_TIMEOUT: 1500 }),
      (err) => {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.match(err.message, new RegExp(`^MongoDB at 127\\.0\\.0\\.1:${port} is unreachable`));
        assert.ok(!err.message.includes('s3cr3t-pw'), err.message);
        return true;
      },
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
  });

  it('an unreadable TLS file is named before any connection is tried', async () => {
    await assert.rejects(openStore({ MONGO_URL: 'mongodb://127.0.0.1:1/', MONGO_TLS_CA: '/nonexistent/ca.pem' }), (err) => {
      assert.ok(err instanceof StoreUnavailableError, String(err));
      assert.match(err.message, /TLS CA file \/nonexistent\/ca\.pem cannot be read \(ENOENT\)/);
      return true;
    });
  });

  it('openStore picks MongoDB when MONGO_URL is set, and creates the indexes', async () => {
    const url = await serverUrl();
    const dbName = freshDbName();
    const store = (await openStore({ MONGO_URL: url, MONGO_DB: dbName })) as MongoStore;
    try {
      assert.equal(store.kind, 'mongodb');
      await store.ping();
      for (const [collection, wanted] of Object.entries(MONGO_INDEXES)) {
        const have = await store.db.collection(collection).listIndexes().toArray();
        for (const w of wanted) {
          const found = have.find((i) => i.name === w.name);
          assert.ok(found, `${collection}.${w.name} exists`);
          assert.deepEqual(found.key, w.key);
          assert.equal(found.unique === true, w.unique === true, `${collection}.${w.name} unique`);
        }
      }
      // Opening again (another replica of a service) is fine: index creation is idempotent.
      const again = await openStore({ MONGO_URL: url, MONGO_DB: dbName });
      await again.close();
      await store.db.dropDatabase();
    } finally {
      await store.close();
    }
  });
});

describe('mongodb: stand-in only', { skip: REAL_URL ? 'runs against the stand-in only' : false }, () => {
  const open = async () => {
    const url = await serverUrl();
    return openMongoStore({ url, dbName: freshDbName(), serverSelectionTimeoutMS: 1500 });
  };

  it('uses only the commands of its documented boundary', async () => {
    const store = await open();
    try {
      const before = { ...standin!.commandCounts() };
      await store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' });
      await store.policies.put('p', imagePolicy(), { expectedVersion: 1, by: 'a' });
      await store.policies.list();
      await store.policies.history('p');
      await store.reports.put(scanReport(1));
      await store.reports.get(scanReport(1).image.digest);
      await store.reports.cleanupOrphans(new Date());
      await store.layerCache.put(scanReport(1).layers[0]!.digest, { dpkg: 1 }, { x: 1 });
      await store.layerCache.get(scanReport(1).layers[0]!.digest, { dpkg: 1 });
      await store.inventory.upsertSeen({ registry: 'r', repository: 'x', digest: scanReport(1).image.digest, tag: 't' }, new Date());
      await store.inventory.upsertSeen({ registry: 'r', repository: 'x', digest: scanReport(1).image.digest, tag: 'u' }, new Date());
      await store.inventory.findByRepository('r', 'x');
      const now = new Date();
      await store.exceptions.listExpiringBefore(new Date(now.getTime() + 1000), now);
      await store.reports.delete(scanReport(1).image.digest);
      const after = standin!.commandCounts();
      const used = Object.keys(after).filter((c) => after[c] !== before[c]);
      const boundary = new Set([
        'hello',
        'isMaster',
        'ismaster',
        'ping',
        'insert',
        'find',
        'getMore',
        'killCursors',
        'update',
        'delete',
        'findAndModify',
        'distinct',
        'aggregate',
        'endSessions',
      ]);
      assert.deepEqual(
        used.filter((c) => !boundary.has(c)),
        [],
        `commands used: ${used.join(', ')}`,
      );
      await store.db.dropDatabase();
    } finally {
      await store.close();
    }
  });

  it('a failed head write removes the chunks it wrote', async () => {
    const store = await open();
    try {
      standin!.faults.failNext('findAndModify', { code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' });
      await assert.rejects(store.reports.put(scanReport(1)), /shutting down/);
      assert.equal(await store.db.collection('reportChunks').countDocuments({}), 0);
      assert.equal(await store.reports.get(scanReport(1).image.digest), undefined);
      await store.reports.put(scanReport(1));
      assert.deepEqual(await store.reports.get(scanReport(1).image.digest), scanReport(1));
      await store.db.dropDatabase();
    } finally {
      standin!.faults.clear();
      await store.close();
    }
  });

  it('a reader whose generation is replaced mid-read follows the head to the new report', async () => {
    const store = await open();
    const writer = await openMongoStore({ url: await serverUrl(), dbName: store.db.databaseName, reportChunkBytes: 1024 });
    try {
      const v1 = scanReport('mid-read', { packages: 200 });
      const v2 = { ...v1, reportId: 'mid-read-2', vulnDbVersion: 'newer' };
      await writer.reports.put(v1);
      // Replies to finds are held back: the reader gets v1's head, then v2 replaces it and its
      // chunks are deleted before the reader asks for them.
      standin!.faults.delay(150, 'find');
      const reading = store.reports.get(v1.image.digest);
      await new Promise((r) => setTimeout(r, 50));
      await writer.reports.put(v2);
      const got = await reading;
      standin!.faults.delay(0);
      assert.deepEqual(got, v2);
      await store.db.dropDatabase();
    } finally {
      standin!.faults.clear();
      await writer.close();
      await store.close();
    }
  });

  it('a server that goes away fails calls with StoreUnavailableError, and the store recovers after restart', async () => {
    const store: Store & { db: MongoStore['db'] } = await open();
    try {
      await store.policies.put('p', imagePolicy(), { expectedVersion: 0, by: 'a' });
      await standin!.close();
      const started = performance.now();
      await assert.rejects(store.policies.current('p'), (err) => {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.match(err.message, new RegExp(`MongoDB at ${standin!.host}:${standin!.port}`));
        return true;
      });
      await assert.rejects(store.ping(), StoreUnavailableError);
      assert.ok(performance.now() - started < 6000);
      await standin!.restart();
      assert.equal((await store.policies.current('p'))?.version, 1);
      await store.ping();
      await store.db.dropDatabase();
    } finally {
      if (!standin!.running) await standin!.restart();
      await store.close();
    }
  });
});
