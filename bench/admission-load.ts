// The admission bench's load generator: on the calling thread (the benchmark as the issue first
// measured it) or on a thread of its own. In a cluster the API server that calls the webhook is
// another process: generating the load on the webhook's own event loop charges the client's TLS
// writes, response parsing and garbage to the server under test (and stalls the client while the
// server collects). Both servers of a throughput comparison always get the same generator.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

interface Setup {
  ca: string;
  body: string;
}

export type LoadJob =
  | { kind: 'throughput'; url: string; ms: number; concurrency: number }
  | { kind: 'rate'; url: string; rate: number; ms: number; concurrency: number };

export type LoadResult = { kind: 'throughput'; rps: number } | { kind: 'rate'; latencies: number[] };

export interface LoadGenerator {
  /** Requests per second a closed loop of `concurrency` keep-alive connections gets from `url`. */
  throughput(url: string, ms: number, concurrency: number): Promise<number>;
  /** Latencies (ms, from each request's scheduled time) at a fixed `rate` for `ms` (open loop). */
  fixedRate(url: string, rate: number, ms: number, concurrency: number): Promise<number[]>;
  close(): Promise<void>;
}

/** A load generator thread POSTing `body` to `/validate`, trusting `ca`. */
export function startLoadGenerator(ca: string, body: string): LoadGenerator {
  const worker = new Worker(new URL(import.meta.url), { workerData: { ca, body } satisfies Setup });
  const run = (job: LoadJob) =>
    new Promise<LoadResult>((resolve, reject) => {
      const onMessage = (m: LoadResult | { error: string }) => {
        worker.off('error', onError);
        if ('error' in m) reject(new Error(m.error));
        else resolve(m);
      };
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(err);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(job);
    });
  return {
    async throughput(url, ms, concurrency) {
      const r = await run({ kind: 'throughput', url, ms, concurrency });
      if (r.kind !== 'throughput') throw new Error('unexpected load result');
      return r.rps;
    },
    async fixedRate(url, rate, ms, concurrency) {
      const r = await run({ kind: 'rate', url, rate, ms, concurrency });
      if (r.kind !== 'rate') throw new Error('unexpected load result');
      return r.latencies;
    },
    async close() {
      await worker.terminate();
    },
  };
}

const pool = (url: string, ca: string, connections: number): Pool =>
  new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000, connect: { ca, servername: 'localhost' } });
const once = async (p: Pool, body: string): Promise<boolean> => {
  const res = await p.request({ path: '/validate', method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  return res.statusCode === 200 && text.includes('"allowed":true');
};
const warm = async (p: Pool, body: string) => {
  for (let i = 0; i < 200; i++) await once(p, body); // connections, JIT
};

/** Requests per second a closed loop of `concurrency` keep-alive connections gets from `url`, on the calling thread. */
export async function measureThroughput(url: string, ca: string, body: string, ms: number, concurrency: number): Promise<number> {
  const p = pool(url, ca, concurrency);
  try {
    await warm(p, body);
    let done = 0;
    let failed = 0;
    const end = performance.now() + ms;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          if (await once(p, body)) done++;
          else failed++;
        }
      }),
    );
    if (failed > 0) throw new Error(`${failed} requests to ${url} failed`);
    return (done * 1000) / (performance.now() - start);
  } finally {
    await p.close();
  }
}

/** Latencies (ms, from each request's scheduled time) at a fixed `rate` for `ms` (open loop), on the calling thread. */
export async function measureFixedRate(
  url: string,
  ca: string,
  body: string,
  rate: number,
  ms: number,
  concurrency: number,
): Promise<number[]> {
  const p = pool(url, ca, concurrency);
  const latencies: number[] = [];
  try {
    await warm(p, body);
    const total = (rate * ms) / 1000;
    const start = performance.now();
    const pending: Promise<void>[] = [];
    let failed = 0;
    for (let i = 0; i < total; i++) {
      const scheduled = start + (i * 1000) / rate;
      const wait = scheduled - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      // From the scheduled time (a late send counts against the server), or the actual send when a timer fired early.
      const from = Math.min(scheduled, performance.now());
      pending.push(
        once(p, body).then((ok) => {
          if (!ok) failed++;
          latencies.push(performance.now() - from);
        }),
      );
    }
    await Promise.all(pending);
    if (failed > 0) throw new Error(`${failed} requests failed at ${rate} req/s`);
    return latencies;
  } finally {
    await p.close();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { ca, body } = workerData as Setup;
  port.on('message', async (job: LoadJob) => {
    try {
      if (job.kind === 'throughput')
        port.postMessage({ kind: 'throughput', rps: await measureThroughput(job.url, ca, body, job.ms, job.concurrency) });
      else port.postMessage({ kind: 'rate', latencies: await measureFixedRate(job.url, ca, body, job.rate, job.ms, job.concurrency) });
    } catch (err) {
      port.postMessage({ error: (err as Error).message });
    }
  });
}
