// The registry lookups admission runs at once, bounded for the whole process, and shared out
// fairly between the reviews waiting for them. Without a bound, one review naming 5,000 unknown
// tags opened 5,000 connections at once: none of them answered within the deadline, the event
// loop spent seconds on sockets and errors, and the process grew by hundreds of MB. With it, a
// few lookups run; the rest wait their turn and, once every review that asked for one has run
// out of budget, are dropped without ever being started.
//
// Reviews take turns (round robin), so a one-image review arriving behind a 5,000-image one has
// its lookup started at the next free slot instead of after the other's 5,000. A key two reviews
// ask for is one job: it runs once, and stays queued while either still waits for it.

interface Job<T> {
  readonly key: string;
  readonly item: T;
  state: 'queued' | 'running' | 'done' | 'dropped';
  /** Callers still waiting for it; a queued job nobody waits for is dropped. */
  waiters: number;
  readonly settled: Promise<void>;
  settle(): void;
}

interface Caller<T> {
  readonly jobs: Job<T>[];
  /** Epoch ms: after this the caller no longer waits, so nothing is started for it. */
  readonly until: number;
  /** Index of the next of `jobs` to consider starting. */
  next: number;
  released: boolean;
}

/** What one caller enqueued: when each of its jobs settles, and the release at its budget's end. */
export interface QueuedLookups {
  /** Settles when every job has finished or been dropped. */
  readonly settled: Promise<void>;
  /** The caller waits no longer: its queued jobs nobody else waits for are dropped. Idempotent. */
  release(): void;
}

export class LookupQueue<T> {
  readonly #limit: number;
  readonly #run: (key: string, item: T) => Promise<void>;
  readonly #jobs = new Map<string, Job<T>>();
  /** Callers with jobs still to start, in turn order. */
  #turns: Caller<T>[] = [];
  #running = 0;

  /** `run` does one lookup and must not reject (its result is the caller's to remember). */
  constructor(limit: number, run: (key: string, item: T) => Promise<void>) {
    this.#limit = limit;
    this.#run = run;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.#jobs.size - this.#running;
  }

  /** Queues a lookup per key (at most one per key, process-wide) for a caller waiting until `until` (epoch ms). */
  enqueue(items: Iterable<readonly [string, T]>, until: number): QueuedLookups {
    const caller: Caller<T> = { jobs: [], until, next: 0, released: false };
    for (const [key, item] of items) {
      let job = this.#jobs.get(key);
      if (!job) {
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => (settle = resolve));
        job = { key, item, state: 'queued', waiters: 0, settled, settle };
        this.#jobs.set(key, job);
      }
      job.waiters++;
      caller.jobs.push(job);
    }
    if (caller.jobs.length > 0) this.#turns.push(caller);
    this.#pump();
    return {
      settled: Promise.all(caller.jobs.map((j) => j.settled)).then(() => undefined),
      release: () => this.#release(caller),
    };
  }

  #release(caller: Caller<T>): void {
    if (caller.released) return;
    caller.released = true;
    const at = this.#turns.indexOf(caller);
    if (at >= 0) this.#turns.splice(at, 1);
    for (const job of caller.jobs) {
      job.waiters--;
      if (job.state === 'queued' && job.waiters === 0) {
        job.state = 'dropped';
        this.#jobs.delete(job.key);
        job.settle();
      }
    }
  }

  /** Starts queued jobs while slots are free, one per caller in turn. */
  #pump(): void {
    while (this.#running < this.#limit && this.#turns.length > 0) {
      const caller = this.#turns.shift()!;
      if (caller.until <= Date.now()) continue; // out of budget: released soon, starts nothing more
      let job: Job<T> | undefined;
      while (caller.next < caller.jobs.length && !job) {
        const j = caller.jobs[caller.next++]!;
        if (j.state === 'queued') job = j;
      }
      if (!job) continue;
      if (caller.next < caller.jobs.length) this.#turns.push(caller);
      this.#start(job);
    }
  }

  #start(job: Job<T>): void {
    job.state = 'running';
    this.#running++;
    void this.#run(job.key, job.item)
      .catch(() => {})
      .finally(() => {
        this.#running--;
        job.state = 'done';
        this.#jobs.delete(job.key);
        job.settle();
        this.#pump();
      });
  }
}
