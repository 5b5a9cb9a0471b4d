// A worker thread with its own SQLite connection, for the parallel-writer tests.
import { parentPort, workerData } from 'node:worker_threads';
import { ConflictError, openSqliteStore } from '@assay/store';
import { imagePolicy } from './fixtures.ts';

const { path, task, index, steps, barrier } = workerData as {
  path: string;
  task: 'put-once' | 'increment';
  index: number;
  steps: number;
  barrier: SharedArrayBuffer;
};
const flags = new Int32Array(barrier);
const store = await openSqliteStore({ path, busyTimeoutMs: 10_000 });
const result = { ok: 0, conflicts: 0, errors: [] as string[] };

Atomics.add(flags, 0, 1);
Atomics.wait(flags, 1, 0); // released by the test when every worker is ready

try {
  if (task === 'put-once') {
    try {
      await store.policies.put('race', imagePolicy({ name: `worker ${index}` }), { expectedVersion: 1, by: `w${index}` });
      result.ok++;
    } catch (err) {
      if (err instanceof ConflictError) result.conflicts++;
      else result.errors.push(String(err));
    }
  } else {
    for (let step = 0; step < steps; step++) {
      for (;;) {
        const cur = (await store.policies.current('counter'))!;
        const description = `${cur.document!.description ?? ''}[${index}.${step}]`;
        try {
          await store.policies.put('counter', { ...cur.document!, description }, { expectedVersion: cur.version, by: `w${index}` });
          result.ok++;
          break;
        } catch (err) {
          if (!(err instanceof ConflictError)) {
            result.errors.push(String(err));
            break;
          }
          result.conflicts++;
        }
      }
    }
  }
} finally {
  await store.close();
}
parentPort!.postMessage(result);
