// MONGO_URL switches the driver tests to another server. A second stand-in plays the "real"
// server here: the driver suite (both driver-*.test.ts files) runs in a child process with
// MONGO_URL pointing at it, and must both pass and have done its work there (not on a
// stand-in of its own).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';

const run = promisify(execFile);
let target: MongoStandin;

before(async () => {
  target = await startMongoStandin();
});

after(async () => {
  await target.close();
});

it('runs the driver suite against the server named by MONGO_URL', async () => {
  const suites = ['driver-documents.test.ts', 'driver-collections.test.ts'].map((f) => join(import.meta.dirname, f));
  // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', ...suites], {
    env: { ...env, MONGO_URL: target.url },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.match(stdout, /# fail 0/);
  const passed = Number(/# pass (\d+)/.exec(stdout)?.[1] ?? 0);
  assert.ok(passed >= 20, `the suite ran (${passed} passed)`);
  const counts = target.commandCounts();
  assert.ok((counts['insert'] ?? 0) >= 20, 'inserts reached the MONGO_URL server');
  assert.ok((counts['getMore'] ?? 0) >= 19, 'cursor batches were served by the MONGO_URL server');
  assert.ok((counts['dropDatabase'] ?? 0) >= 20, 'the suite cleaned up its databases there');
  const { databases } = await listDatabases(target.url);
  assert.deepEqual(databases, [], 'nothing left behind');
});

async function listDatabases(url: string): Promise<{ databases: unknown[] }> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url);
  try {
    return (await client.db('admin').admin().listDatabases()) as { databases: unknown[] };
  } finally {
    await client.close();
  }
}
