// Durable pull consumption with at-least-once semantics: a message is acknowledged only after its
// handler has finished (its side effects are done), retried with backoff when the handler fails,
// and after the allowed deliveries — or at once when it can never succeed — recorded as a
// DeadLetter on the bus and terminated, so one poison message never blocks a consumer.
import { type DescMessage, fromBinary, type MessageShape } from '@bufbuild/protobuf';
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg, MsgHdrs } from 'nats';
import { type ConsumerSpec, type DeadLetterSchema, deadLetterTopic, type Topic } from '@assay/proto';
import { pause, Semaphore } from '@assay/kit';
import type { ConnectionState } from './connect.ts';
import { deadLetterRecord } from './dead-letter.ts';
import { isPermanentError } from './errors.ts';
import { eventIdOf } from '@assay/proto';
import { type BusLogger, silentLogger } from './logger.ts';
import { HEADER_ASSAY_TYPE } from './message-headers.ts';
import { publishEvent, TRACER_NAME } from './publish.ts';
import { extractTraceContext, messagingSpan } from './trace-headers.ts';

/** What a handler knows about the delivery it is handling. */
export interface Delivery {
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on the first delivery, 2 on the first redelivery, ... */
  readonly deliveryCount: number;
  readonly headers: MsgHdrs | undefined;
  /** The raw message, for tests and unusual needs; do not ack it yourself. */
  readonly msg: JsMsg;
}

export type Handler<S extends DescMessage> = (message: MessageShape<S>, delivery: Delivery) => Promise<void> | void;

export interface DeadLetterOptions {
  /** `producer` of the DeadLetter's EventMeta. Default 'assay-bus'. */
  producer?: string;
  /** Where DeadLetters go. Default `deadLetterTopic(consumer.stream)`. */
  topic?: Topic<typeof DeadLetterSchema>;
}

export interface ConsumeDurableOptions<S extends DescMessage> {
  js: JetStreamClient;
  /** The durable consumer (provisioned beforehand) to pull from. */
  consumer: ConsumerSpec;
  /** Schema of the messages on the consumer's subject. */
  schema: S;
  handler: Handler<S>;
  /** Handlers running at once. Default 1. */
  concurrency?: number;
  /** Deliveries (first one included) before a failing message is dead-lettered. Default 5. */
  maxDeliveries?: number;
  /** Redelivery delay after a failure, indexed by delivery count (last value repeats), in ms. */
  backoffMs?: readonly number[];
  logger?: BusLogger;
  deadLetter?: DeadLetterOptions;
  /**
   * The connection (a BusConnection): lets the loop wait out disconnects instead of sending pull
   * requests into the void, and registers the consumer so closing the bus stops it first.
   */
  connection?: ConnectionState;
  /** How often a running handler tells the server it is still working. Default: half the ack wait. */
  workingIntervalMs?: number;
  /** How long one pull request waits for messages, in ms. Default 10 s. */
  pullExpiresMs?: number;
}

export interface ConsumerHandle {
  /** Stops pulling, then waits for the handlers in flight to finish (and ack). */
  stop(): Promise<void>;
  /** Resolves once stopped and every handler has finished. */
  readonly closed: Promise<void>;
  /** Handlers running now. */
  inFlight(): number;
}

const DEFAULT_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000] as const;

function backoffFor(backoff: readonly number[], deliveryCount: number): number {
  if (backoff.length === 0) return 0;
  return backoff[Math.min(Math.max(deliveryCount - 1, 0), backoff.length - 1)]!;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Starts pulling from a durable consumer. Resolves once the consumer is found (rejects with a
 * clear error when it is not provisioned); consumption then runs until `stop()`.
 */
export async function consumeDurable<S extends DescMessage>(opts: ConsumeDurableOptions<S>): Promise<ConsumerHandle> {
  const { js, consumer: spec, schema, handler } = opts;
  const logger = opts.logger ?? silentLogger;
  const maxDeliveries = opts.maxDeliveries ?? 5;
  const backoff = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const limit = new Semaphore(opts.concurrency ?? 1);
  const dlTopic = opts.deadLetter?.topic ?? deadLetterTopic(spec.stream);
  const producer = opts.deadLetter?.producer ?? 'assay-bus';
  const pullExpiresMs = Math.max(opts.pullExpiresMs ?? 10_000, 1_000);
  const where = `${spec.stream}/${spec.durable}`;
  const fields = { stream: spec.stream, consumer: spec.durable };

  let consumer: Consumer;
  try {
    consumer = await js.consumers.get(spec.stream, spec.durable);
  } catch (err) {
    throw new Error(`consumer ${where} is not available (provision the topology first): ${message(err)}`, { cause: err });
  }
  const info = await consumer.info(true);
  // Keep a running handler's message from being redelivered elsewhere: tell the server we are
  // working at twice the rate of the shortest wait it may apply.
  const waits = [info.config.ack_wait, ...(info.config.backoff ?? [])].filter((n): n is number => !!n && n > 0);
  const ackWaitMs = waits.length > 0 ? Math.min(...waits) / 1e6 : 30_000;
  const workingEveryMs = opts.workingIntervalMs ?? Math.max(100, Math.floor(ackWaitMs / 2));

  const stopper = new AbortController();
  const inflight = new Set<Promise<void>>();
  let batch: ConsumerMessages | undefined;
  const tracer = trace.getTracer(TRACER_NAME);

  // Every wait of the loop ends early at stop; the loop then sees the stop and ends.
  const sleep = (ms: number) => pause(ms, stopper.signal);

  async function deadLetter(m: JsMsg, reason: string, causationId: string | undefined, span: Span): Promise<void> {
    const record = deadLetterRecord(m, reason, { producer, stream: spec.stream, consumer: spec.durable, causationId });
    try {
      await publishEvent(js, dlTopic, record);
    } catch (err) {
      // Not recorded, so not dropped either: try again later.
      const delay = backoffFor(backoff, m.info.deliveryCount);
      logger.error({ ...fields, seq: m.seq, reason, err, retryInMs: delay }, 'could not publish the dead letter; will retry');
      span.setAttribute('assay.bus.outcome', 'nak');
      m.nak(delay);
      return;
    }
    // No reason text on the term: servers before 2.10 ignore a "+TERM <reason>" they do not
    // recognise, and the reason is in the DeadLetter anyway.
    m.term();
    span.setAttribute('assay.bus.outcome', 'dead-lettered');
    logger.warn(
      { ...fields, subject: m.subject, seq: m.seq, deliveries: m.info.deliveryCount, reason, deadLetterSubject: dlTopic.subject },
      'message dead-lettered',
    );
  }

  async function handleMessage(m: JsMsg, span: Span): Promise<void> {
    const deliveries = m.info.deliveryCount;
    const type = m.headers?.get(HEADER_ASSAY_TYPE);
    if (type && type !== schema.typeName) {
      return deadLetter(m, `message type ${type} is not the ${schema.typeName} this consumer handles`, undefined, span);
    }
    let decoded: MessageShape<S>;
    try {
      decoded = fromBinary(schema, m.data);
    } catch (err) {
      return deadLetter(m, `cannot decode as ${schema.typeName}: ${message(err)}`, undefined, span);
    }
    const eventId = eventIdOf(decoded);
    if (eventId) span.setAttribute('messaging.message.id', eventId);
    if (deliveries > maxDeliveries) {
      // Delivered again without any outcome (the process died mid-handler, or the ack was
      // lost): a message that crashes its handler must not crash-loop the service for ever.
      return deadLetter(m, `delivered ${deliveries} times without completing (limit ${maxDeliveries})`, eventId, span);
    }
    const keepAlive = setInterval(() => m.working(), workingEveryMs);
    let failure: unknown;
    let failed = false;
    try {
      await handler(decoded, { subject: m.subject, streamSequence: m.seq, deliveryCount: deliveries, headers: m.headers, msg: m });
    } catch (err) {
      failed = true;
      failure = err;
    } finally {
      clearInterval(keepAlive);
    }
    if (!failed) {
      try {
        await m.ackAck();
        span.setAttribute('assay.bus.outcome', 'ack');
      } catch (err) {
        // Delivery is at-least-once: it comes back, and the handler is idempotent.
        logger.warn({ ...fields, seq: m.seq, err }, 'ack not confirmed; the message may be redelivered');
        span.setAttribute('assay.bus.outcome', 'ack-unconfirmed');
      }
      return;
    }
    span.recordException(failure instanceof Error ? failure : new Error(String(failure)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: message(failure) });
    if (isPermanentError(failure)) {
      return deadLetter(m, `permanent error: ${message(failure)}`, eventId, span);
    }
    if (deliveries >= maxDeliveries) {
      return deadLetter(m, `handler failed on all ${deliveries} deliveries; last error: ${message(failure)}`, eventId, span);
    }
    const delay = backoffFor(backoff, deliveries);
    logger.warn({ ...fields, subject: m.subject, seq: m.seq, deliveries, retryInMs: delay, err: failure }, 'handler failed; will retry');
    span.setAttribute('assay.bus.outcome', 'nak');
    m.nak(delay);
  }

  function processMessage(m: JsMsg): Promise<void> {
    // The handler continues the publisher's trace.
    const parent = extractTraceContext(m.headers);
    return tracer.startActiveSpan(
      `${m.subject} process`,
      messagingSpan(SpanKind.CONSUMER, 'process', m.subject, {
        'messaging.consumer.group.name': spec.durable,
        'messaging.nats.stream': spec.stream,
        'messaging.nats.stream.sequence': m.seq,
        'messaging.nats.delivery_count': m.info.deliveryCount,
      }),
      parent,
      async (span) => {
        try {
          await handleMessage(m, span);
        } catch (err) {
          // Only a bug in this module gets here; leave the message to its ack wait.
          logger.error({ ...fields, seq: m.seq, err }, 'message processing failed');
        } finally {
          span.end();
        }
      },
    );
  }

  async function waitForConnection(): Promise<void> {
    const conn = opts.connection;
    if (!conn || conn.isConnected()) return;
    logger.debug(fields, 'consumer waiting for the connection');
    while (!stopper.signal.aborted && !conn.isConnected()) await sleep(200);
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopper.signal.aborted) {
      await limit.waitFree();
      if (stopper.signal.aborted) break;
      await waitForConnection();
      if (stopper.signal.aborted) break;
      const started = Date.now();
      let received = 0;
      try {
        // Ask for exactly as many messages as there are free slots.
        batch = await consumer.fetch({ max_messages: limit.free, expires: pullExpiresMs });
        for await (const m of batch) {
          received++;
          // The fetch asked for no more than the free slots, so one is always free here.
          const release = limit.tryAcquire();
          if (!release) throw new Error('no free slot');
          const p = processMessage(m).finally(() => {
            inflight.delete(p);
            release();
          });
          inflight.add(p);
        }
        failures = 0;
      } catch (err) {
        if (stopper.signal.aborted) break;
        if ((err as { code?: unknown } | null)?.code === 'CONNECTION_CLOSED') {
          logger.warn(fields, 'connection closed; consumer stops');
          break;
        }
        failures++;
        const delay = Math.min(250 * 2 ** Math.min(failures, 5), 5_000);
        logger.warn({ ...fields, err, retryInMs: delay }, 'pulling messages failed; retrying');
        await sleep(delay);
      } finally {
        batch = undefined;
      }
      // A pull that ends at once with nothing (server or connection trouble) must not spin.
      if (received === 0 && Date.now() - started < 100) await sleep(250);
    }
  }

  const loopDone = loop().catch((err) => {
    logger.error({ ...fields, err }, 'consumer loop ended unexpectedly');
  });
  const closed = loopDone.then(async () => {
    await Promise.allSettled([...inflight]);
    logger.info(fields, 'consumer stopped');
  });

  const consumerHandle: ConsumerHandle = {
    closed,
    inFlight: () => inflight.size,
    async stop() {
      if (!stopper.signal.aborted) {
        stopper.abort();
        limit.wake();
        // Ends the pull now; anything the server sent to it that we did not start goes back
        // after its ack wait.
        await batch?.close().catch(() => {});
      }
      await closed;
    },
  };
  opts.connection?.track?.(consumerHandle);
  logger.info({ ...fields, concurrency: limit.limit, maxDeliveries }, 'consumer started');
  return consumerHandle;
}
