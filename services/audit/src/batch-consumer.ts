// Batched durable consumption for sinks that write many events per request (Elasticsearch bulk,
// Splunk HEC): messages are pulled continuously, prepared one by one (decode, map, serialise),
// and handed to `deliver` in batches bounded by count and bytes, or after a linger time when
// traffic is light. `deliver` acks (or terms) each message itself, once its sink has confirmed
// it; a message it leaves alone comes back after the ack wait. While a message is held (buffered
// or in a batch being retried) the server is told it is still being worked on, so an outage of
// the sink longer than the ack wait does not turn into redeliveries.
import type { ConsumerMessages, JetStreamClient, JsMsg } from 'nats';
import { type BusLogger, maxPayloadOf } from '@assay/bus';
import { pause } from '@assay/kit';

export interface Held<T> {
  readonly msg: JsMsg;
  readonly item: T;
  readonly bytes: number;
}

export interface BatchConsumerOptions<T> {
  js: JetStreamClient;
  stream: string;
  durable: string;
  /**
   * Splits a message into the items it carries (an AuditBatch into its events), each then
   * prepared, held and settled like a message of its own. Must not throw.
   */
  expand?(msg: JsMsg): JsMsg[];
  /** Turns a message into what `deliver` sends, with its size in bytes. Must not throw. */
  prepare(msg: JsMsg): { item: T; bytes: number };
  /** Delivers one batch; acks/terms/naks each message. A rejection leaves the batch to redelivery. */
  deliver(batch: Held<T>[]): Promise<void>;
  maxBatchDocs: number;
  maxBatchBytes: number;
  /** Longest a message waits for its batch to fill, in ms. */
  lingerMs: number;
  /** Batches being delivered at once. */
  concurrency: number;
  /** Messages (or parts of expanded ones) held at most; pulling pauses above it. */
  maxHeld: number;
  logger: BusLogger;
  /** Called with batch sizes (docs, bytes) as they are handed over. */
  onBatch?(docs: number, bytes: number): void;
}

export interface BatchConsumerHandle {
  /** Messages held now (buffered + in flight). */
  held(): number;
  stop(): Promise<void>;
  readonly closed: Promise<void>;
}

export async function consumeBatches<T>(opts: BatchConsumerOptions<T>): Promise<BatchConsumerHandle> {
  const { js, logger } = opts;
  const fields = { stream: opts.stream, consumer: opts.durable };
  const consumer = await js.consumers.get(opts.stream, opts.durable);
  const info = await consumer.info(true);
  const waits = [info.config.ack_wait, ...(info.config.backoff ?? [])].filter((x): x is number => !!x && x > 0);
  const ackWaitMs = waits.length > 0 ? Math.min(...waits) / 1e6 : 30_000;

  const buffer: Held<T>[] = [];
  let bufferBytes = 0;
  let oldestAt = 0;
  const inFlight = new Set<Held<T>[]>();
  const running = new Set<Promise<void>>();
  let stopped = false;
  let messages: ConsumerMessages | undefined;

  // One waiter at a time per purpose; `poke` wakes them all to re-check their condition.
  let wakers: Array<() => void> = [];
  const poke = () => {
    const w = wakers;
    wakers = [];
    for (const f of w) f();
  };
  const nextPoke = (timeoutMs?: number) =>
    new Promise<void>((resolve) => {
      let t: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      wakers.push(done);
      if (timeoutMs !== undefined) t = setTimeout(done, Math.max(0, timeoutMs));
    });

  // Asked after every message: a running count, not a sum over the batches in flight.
  let inFlightCount = 0;
  const heldCount = () => buffer.length + inFlightCount;

  // Keep every held message from being redelivered while it waits.
  const keepAlive = setInterval(
    () => {
      for (const h of buffer) h.msg.working();
      for (const b of inFlight) for (const h of b) h.msg.working();
    },
    Math.max(200, Math.floor(ackWaitMs / 3)),
  );

  function take(): Held<T>[] {
    let n = 0;
    let bytes = 0;
    const most = Math.min(buffer.length, opts.maxBatchDocs);
    while (n < most) {
      const b = buffer[n]!.bytes;
      if (n > 0 && bytes + b > opts.maxBatchBytes) break;
      bytes += b;
      n++;
    }
    // One splice, not a shift per message: shifting a buffer of thousands is a copy each time.
    const batch = buffer.splice(0, n);
    bufferBytes -= bytes;
    oldestAt = buffer.length > 0 ? Date.now() : 0;
    opts.onBatch?.(batch.length, bytes);
    return batch;
  }

  async function flusher(): Promise<void> {
    while (!stopped) {
      if (buffer.length === 0) {
        await nextPoke();
        continue;
      }
      const full = buffer.length >= opts.maxBatchDocs || bufferBytes >= opts.maxBatchBytes;
      const lingerLeft = oldestAt + opts.lingerMs - Date.now();
      if (!full && lingerLeft > 0) {
        await nextPoke(lingerLeft);
        continue;
      }
      if (inFlight.size >= opts.concurrency) {
        await nextPoke();
        continue;
      }
      const batch = take();
      inFlight.add(batch);
      inFlightCount += batch.length;
      const p = opts
        .deliver(batch)
        .catch((err: unknown) => logger.error({ ...fields, err, size: batch.length }, 'batch delivery failed; left to redelivery'))
        .finally(() => {
          inFlight.delete(batch);
          inFlightCount -= batch.length;
          running.delete(p);
          poke();
        });
      running.add(p);
    }
  }

  // What waits in the client unprepared (and not kept alive) is bounded by bytes, not by count:
  // a message may be one event or a batch of hundreds. A bound by count had to be tiny for the
  // batches (16), and then single events cost a pull request every 4 messages — the client's
  // and the server's busiest work. By bytes, single events come 100 a request (the client's cap
  // in this mode), refilled at half, and batches a few megabytes' worth. The window is at least
  // two of the largest messages the server accepts, or a message could never be delivered.
  const pullBytes = Math.max(opts.maxBatchBytes, 2 * maxPayloadOf(js));

  async function puller(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        messages = await consumer.consume({ max_bytes: pullBytes, threshold_messages: 50 });
        for await (const m of messages) {
          failures = 0;
          const wasEmpty = buffer.length === 0;
          for (const part of opts.expand ? opts.expand(m) : [m]) {
            const { item, bytes } = opts.prepare(part);
            if (buffer.length === 0) oldestAt = Date.now();
            buffer.push({ msg: part, item, bytes });
            bufferBytes += bytes;
          }
          // The flusher needs waking only to start a batch's linger or to send a full one.
          if ((wasEmpty && buffer.length > 0) || buffer.length >= opts.maxBatchDocs || bufferBytes >= opts.maxBatchBytes) poke();
          while (!stopped && heldCount() >= opts.maxHeld) await nextPoke(1000);
          if (stopped) break;
        }
      } catch (err) {
        if (stopped) break;
        failures++;
        const delay = Math.min(250 * 2 ** Math.min(failures, 5), 5_000);
        logger.warn({ ...fields, err, retryInMs: delay }, 'consuming failed; retrying');
        await pause(delay);
      }
    }
  }

  const flushDone = flusher();
  const pullDone = puller();
  logger.info({ ...fields, ackWaitMs, maxBatchDocs: opts.maxBatchDocs, maxBatchBytes: opts.maxBatchBytes }, 'batch consumer started');

  let closing: Promise<void> | undefined;
  const closedP = new Promise<void>((resolve) => {
    void pullDone.then(() => flushDone).then(() => resolve());
  });
  return {
    held: heldCount,
    closed: closedP,
    stop() {
      closing ??= (async () => {
        stopped = true;
        poke();
        await messages?.close().catch(() => {});
        await Promise.allSettled([pullDone, flushDone]);
        // What never left the buffer goes back to the server now rather than after the ack wait.
        for (const h of buffer.splice(0)) h.msg.nak();
        await Promise.allSettled([...running]);
        clearInterval(keepAlive);
        logger.info(fields, 'batch consumer stopped');
      })();
      return closing;
    },
  };
}
