// The one delivery loop, the same for every destination. A batch's messages that could not be
// prepared are dead-lettered at once; the rest are sent, and a message is acked only after the
// destination confirmed it (created, or already there). Trouble that passes (network errors,
// timeouts, 429, 5xx, an item refused for now) is retried with capped exponential backoff for as
// long as the service runs; a batch refused for good is halved until the refused event is alone,
// and that one goes to the dead-letter stream with the reason, then is terminated. At stop the
// retries end and the unfinished messages go back to the server.
import type { JetStreamClient } from 'nats';
import { type BusLogger, deadLetterRecord, publishEvent } from '@assay/bus';
import { pause } from '@assay/kit';
import { deadLetterTopic } from '@assay/proto';
import type { Held } from './batch-consumer.ts';
import { deadLetterMsgId, partIndex } from './batch-message.ts';
import { type Destination, type ItemOutcome, type Sendable, SendError } from './destination.ts';
import type { SinkMetrics } from './metrics.ts';
import type { Prepared } from './prepare.ts';

/** What the loop counts. */
export type DeliveryStats = Pick<SinkMetrics, 'indexed' | 'duplicates' | 'retry' | 'deadLettered'>;

export interface DeliveryOptions {
  destination: Destination;
  js: JetStreamClient;
  stream: string;
  /** The sink's durable consumer: named in dead letters and their Nats-Msg-Id. */
  consumer: string;
  logger: BusLogger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Aborted at stop: retries end and the batch's unfinished messages go back to the server. */
  signal: AbortSignal;
  stats: DeliveryStats;
  /** `producer` of dead letters. */
  producer: string;
}

type Ready = Held<Prepared> & { item: Sendable };

function asSendError(err: unknown): SendError {
  return err instanceof SendError ? err : new SendError(err instanceof Error ? err.message : String(err), true);
}

/** Batch delivery to one destination, with retries, splitting and dead-lettering. */
export class SinkDelivery {
  readonly #o: DeliveryOptions;
  readonly #dlTopic;

  constructor(opts: DeliveryOptions) {
    this.#o = opts;
    this.#dlTopic = deadLetterTopic(opts.stream);
  }

  /** Delivers one batch; returns when every message is acked, dead-lettered, or (at stop) handed back. */
  async deliver(batch: Held<Prepared>[]): Promise<void> {
    const ready: Ready[] = [];
    for (const h of batch) {
      if ('error' in h.item) await this.#deadLetter(h, h.item.error);
      else ready.push(h as Ready);
    }
    if (ready.length > 0) await this.#deliverPart(ready);
  }

  #backoff(attempt: number): number {
    const cap = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(attempt, 20));
    // Full jitter on the upper half, so replicas do not retry in step.
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  async #deliverPart(part: Ready[]): Promise<void> {
    const { destination, logger, signal, stats } = this.#o;
    let pending = part;
    let attempt = 0;
    while (pending.length > 0) {
      if (signal.aborted) {
        for (const h of pending) h.msg.nak();
        return;
      }
      let outcomes: ItemOutcome[] | void;
      try {
        outcomes = await destination.send(
          pending.map((h) => h.item),
          signal,
        );
        if (outcomes && outcomes.length !== pending.length) {
          throw new SendError(`answered ${outcomes.length} items for ${pending.length} sent`, true, 'connection');
        }
      } catch (err) {
        if (signal.aborted) continue;
        const e = asSendError(err);
        if (!e.retryable) {
          // Refused as a whole: halve until the culprit is alone, then dead-letter that one.
          if (pending.length === 1) return this.#deadLetter(pending[0]!, e.message);
          const mid = Math.ceil(pending.length / 2);
          await this.#deliverPart(pending.slice(0, mid));
          await this.#deliverPart(pending.slice(mid));
          return;
        }
        const delay = this.#backoff(attempt++);
        stats.retry(e.retryReason);
        if (attempt === 1 || attempt % 10 === 0) {
          logger.warn({ err: e.message, docs: pending.length, attempt, retryInMs: delay }, 'sink send failed; retrying');
        }
        await pause(delay, signal);
        continue;
      }
      const retry: Ready[] = [];
      let indexed = 0;
      let duplicates = 0;
      for (let i = 0; i < pending.length; i++) {
        const h = pending[i]!;
        const outcome = outcomes ? outcomes[i]! : { result: 'created' as const };
        if (outcome.result === 'created') {
          indexed++;
          h.msg.ack();
        } else if (outcome.result === 'duplicate') {
          duplicates++;
          h.msg.ack();
        } else if (outcome.result === 'retry') {
          retry.push(h);
        } else {
          await this.#deadLetter(h, outcome.reason);
        }
      }
      if (indexed > 0) stats.indexed(indexed);
      if (duplicates > 0) stats.duplicates(duplicates);
      pending = retry;
      if (pending.length > 0) {
        const delay = this.#backoff(attempt++);
        stats.retry('item');
        logger.warn({ docs: pending.length, attempt, retryInMs: delay }, 'items refused for now; retrying them');
        await pause(delay, signal);
      }
    }
  }

  async #deadLetter(h: Held<Prepared>, reason: string): Promise<void> {
    const { js, consumer, logger } = this.#o;
    const m = h.msg;
    const id = 'id' in h.item ? h.item.id : undefined;
    const record = deadLetterRecord(m, reason, {
      producer: this.#o.producer,
      stream: this.#o.stream,
      consumer,
      causationId: id,
    });
    try {
      // Deterministic Nats-Msg-Id: a repeated dead-lettering of the same message is stored once
      // (the events of one batch share its seq, so their index tells them apart).
      await publishEvent(js, this.#dlTopic, record, { msgId: deadLetterMsgId(consumer, m) });
    } catch (err) {
      logger.error({ seq: m.seq, part: partIndex(m), reason, err }, 'could not publish the dead letter; the message will be retried');
      m.nak(5_000);
      return;
    }
    m.term();
    this.#o.stats.deadLettered(reason.split(':')[0] ?? 'error');
    logger.warn({ seq: m.seq, part: partIndex(m), id, reason, deadLetterSubject: this.#dlTopic.subject }, 'audit event dead-lettered');
  }
}
