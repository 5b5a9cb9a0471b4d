// The store contract on the embedded SQLite adapter, plus what only SQLite has: a file shared
// by connections in other threads (real parallel writers), pragmas, and file errors.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openSqliteStore, openStore, SQLITE_LAYOUT_VERSION, StoreError, StoreUnavailableError, type Store } from '@assay/store';
import { makeTempDir } from '../support/tempdir.ts';
import { runStoreContract, type RawCollection } from './contract.ts';
import { imagePolicy } from './fixtures.ts';

const TABLES: Record<RawCollection, string> = {
  policies: 'policies',
  runtimePolicies: 'runtime_policies',
  exceptions: 'exceptions',
  reports: 'reports',
  reportChunks: 'report_chunks',
  layerCache: 'layer_cache',
  inventory: 'inventory',
};

runStoreContract('sqlite', async (options = {}) => {
  const dir = await makeTempDir('store-sqlite');
  const path = join(dir.path, 'assay.db');
  const opened: Store[] = [];
  const open = async () => {
    const s = await openSqliteStore({ ...options, path });
    opened.push(s);
    return s;
  };
  const store = await openSqliteStore({ ...options, path });
  opened.push(store);
  const db = store.db;
  return {
    store,
    openAnother: open,
    async writeRaw(collection, doc) {
      if (collection === 'policies' || collection === 'runtimePolicies') {
        db.prepare(`INSERT INTO ${TABLES[collection]} (id, version, deleted, doc) VALUES (?, ?, ?, ?)`).run(
          String(doc.id),
          Number(doc.version),
          doc.deleted ? 1 : 0,
          JSON.stringify(doc),
        );
      } else if (collection === 'inventory') {
        db.prepare('INSERT INTO inventory (digest, scan_status, doc) VALUES (?, ?, ?)').run(
          String(doc.digest),
          String(doc.scanStatus),
          JSON.stringify(doc),
        );
      } else if (collection === 'reportChunks') {
        db.prepare('INSERT INTO report_chunks (generation, n, data, created_at) VALUES (?, ?, ?, ?)').run(
          String(doc.generation),
          Number(doc.n),
          doc.data as Buffer,
          (doc.createdAt as Date).getTime(),
        );
      } else {
        throw new Error(`writeRaw(${collection}) is not needed by the contract`);
      }
    },
    async countRaw(collection) {
      return Number((db.prepare(`SELECT count(*) AS n FROM ${TABLES[collection]}`).get() as { n: number }).n);
    },
    async close() {
      for (const s of opened) await s.close();
      await dir.remove();
    },
  };
});

interface WorkerResult {
  ok: number;
  conflicts: number;
  errors: string[];
}

/** Starts `count` worker threads, each with its own connection to `path`, released together. */
async function raceInWorkers(path: string, count: number, task: 'put-once' | 'increment', steps = 1): Promise<WorkerResult[]> {
  const barrier = new Int32Array(new SharedArrayBuffer(8));
  const workers = Array.from(
    { length: count },
    (_, index) =>
      new Worker(new URL('./sqlite-worker.ts', import.meta.url), {
        workerData: { path, task, index, steps, barrier: barrier.buffer },
      }),
  );
  const results = workers.map(
    (w) =>
      new Promise<WorkerResult>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
      }),
  );
  // Wait until every worker has opened its connection, then release them at once.
  while (Atomics.load(barrier, 0) < count) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(barrier, 1, 1);
  Atomics.notify(barrier, 1);
  try {
    return await Promise.all(results);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

describe('sqlite: connections in parallel threads', () => {
  it('N threads putting from the same expectedVersion: exactly one succeeds', async () => {
    const dir = await makeTempDir('store-sqlite-race');
    const path = join(dir.path, 'assay.db');
    const store = await openSqliteStore({ path });
    try {
      await store.policies.put('race', imagePolicy(), { expectedVersion: 0, by: 'setup' });
      const results = await raceInWorkers(path, 6, 'put-once');
      assert.deepEqual(
        results.flatMap((r) => r.errors),
        [],
      );
      assert.equal(
        results.reduce((n, r) => n + r.ok, 0),
        1,
        'one winner',
      );
      assert.equal(
        results.reduce((n, r) => n + r.conflicts, 0),
        5,
        'every other writer got ConflictError',
      );
      assert.deepEqual(
        (await store.policies.history('race')).map((r) => r.version),
        [1, 2],
      );
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('threads retrying on conflict lose no update', async () => {
    const dir = await makeTempDir('store-sqlite-contention');
    const path = join(dir.path, 'assay.db');
    const store = await openSqliteStore({ path });
    try {
      await store.policies.put('counter', imagePolicy({ description: '' }), { expectedVersion: 0, by: 'setup' });
      const results = await raceInWorkers(path, 4, 'increment', 10);
      assert.deepEqual(
        results.flatMap((r) => r.errors),
        [],
      );
      const final = (await store.policies.current('counter'))!;
      assert.equal(final.version, 41);
      const marks = final.document!.description!.match(/\[\d+\.\d+\]/g) ?? [];
      assert.equal(new Set(marks).size, 40);
      console.log(`# sqlite: 4 threads × 10 updates, ${results.reduce((n, r) => n + r.conflicts, 0)} conflicts retried`);
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});

describe('sqlite: the database file', () => {
  it('opens WAL mode with foreign keys and a busy timeout, and keeps data across reopen', async () => {
    const dir = await makeTempDir('store-sqlite-file');
    const path = join(dir.path, 'nested', 'dir', 'assay.db');
    try {
      const s1 = await openSqliteStore({ path, busyTimeoutMs: 1234 });
      const pragma = (q: string) => Object.values(s1.db.prepare(`PRAGMA ${q}`).get() as object)[0];
      assert.equal(pragma('journal_mode'), 'wal');
      assert.equal(pragma('foreign_keys'), 1);
      assert.equal(pragma('busy_timeout'), 1234);
      await s1.policies.put('kept', imagePolicy(), { expectedVersion: 0, by: 'a' });
      await s1.close();
      const s2 = await openStore({ SQLITE_PATH: path });
      assert.equal(s2.kind, 'sqlite');
      assert.equal((await s2.policies.current('kept'))?.version, 1);
      await s2.close();
    } finally {
      await dir.remove();
    }
  });

  it('works in memory', async () => {
    const s = await openSqliteStore({ path: ':memory:' });
    await s.policies.put('m', imagePolicy(), { expectedVersion: 0, by: 'a' });
    assert.equal((await s.policies.current('m'))?.version, 1);
    await s.ping();
    await s.close();
  });

  it('names the file when it cannot be opened', async () => {
    const dir = await makeTempDir('store-sqlite-bad');
    try {
      const file = join(dir.path, 'a-file');
      await writeFile(file, 'not a directory');
      await assert.rejects(openStore({ SQLITE_PATH: join(file, 'assay.db') }), (err) => {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.ok(err.message.includes(join(file, 'assay.db')), err.message);
        return true;
      });
      await writeFile(join(dir.path, 'garbage.db'), 'this is not a database '.repeat(100));
      await assert.rejects(openStore({ SQLITE_PATH: join(dir.path, 'garbage.db') }), (err) => {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.match(err.message, /garbage\.db/);
        return true;
      });
    } finally {
      await dir.remove();
    }
  });

  it('brings a database of layout 1 up to date, keeping what it holds', async () => {
    const dir = await makeTempDir('store-sqlite-migrate');
    const path = join(dir.path, 'assay.db');
    try {
      const s = await openSqliteStore({ path });
      await s.runtimePolicies.put(
        'rt',
        {
          name: 'rt',
          enabled: true,
          enforcement: 'audit',
          scope: { namespaces: ['*'] },
          imagePolicies: [],
          blockUnregistered: false,
          platforms: [{ os: 'linux', architecture: 'amd64' }],
        },
        { expectedVersion: 0, by: 'a' },
      );
      // As layout 1 left it: no exception_versions table, no store identity.
      s.db.exec('DROP TABLE exception_versions');
      s.db.exec('DROP TABLE store_identity');
      s.db.exec('PRAGMA user_version = 1');
      await s.close();
      const again = await openSqliteStore({ path });
      try {
        assert.equal((again.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SQLITE_LAYOUT_VERSION);
        assert.equal((await again.runtimePolicies.current('rt'))?.version, 1);
        assert.deepEqual(await again.exceptionVersions.history('none'), []);
        assert.equal((await again.identity()).location, join(dir.path, 'assay.db'), 'an upgraded database gets an identity');
      } finally {
        await again.close();
      }
    } finally {
      await dir.remove();
    }
  });

  it('refuses a database laid out by newer code', async () => {
    const dir = await makeTempDir('store-sqlite-newer');
    const path = join(dir.path, 'assay.db');
    try {
      const s = await openSqliteStore({ path });
      s.db.exec('PRAGMA user_version = 99');
      await s.close();
      await assert.rejects(openSqliteStore({ path }), (err) => {
        assert.ok(err instanceof StoreError, String(err));
        assert.match(err.message, /table layout 99, newer than this version of Assay knows \(3\)/);
        return true;
      });
    } finally {
      await dir.remove();
    }
  });
});
