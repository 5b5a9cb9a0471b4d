// The one way audit events are published: each message fits the server's max_payload, learnt
// from the connection rather than assumed. A batch too large leaves as several smaller batches
// (every event once, each part with an id derived from the batch's, so a retried publish is
// still stored once); an event too large on its own is reduced (audit-reduce.ts). Without this
// an oversized message is refused on every retry and lost at shutdown.
import { create, toBinary } from '@bufbuild/protobuf';
import type { JetStreamClient, NatsConnection, PubAck } from 'nats';
import { type AuditBatch, AuditBatchSchema, type AuditEvent, AuditEventSchema, derivedEventId, type Topic } from '@assay/proto';
import { type Reduction, reduceAuditEvent } from './audit-reduce.ts';
import { publishEvent, type PublishEventOptions } from './publish.ts';

/** nats-server's default max_payload, for a connection that has not said its own. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

// Headers count against max_payload too: the message id, type, content type and trace context
// take a few hundred bytes; this leaves room for them.
const HEADER_ALLOWANCE = 2048;

// A batch's bytes around its events: its meta, and per event a field tag and length prefix.
const BATCH_OVERHEAD = 256;
const PER_EVENT_OVERHEAD = 8;

export interface AuditPublishOptions extends Omit<PublishEventOptions, 'msgId' | 'encoded'> {
  /** The server's max_payload; by default the connection's (`info.max_payload`). */
  maxPayload?: number;
  /** Told of each event that had to be reduced (logs, metrics). */
  onReduced?(event: AuditEvent, reduction: Reduction): void;
}

/** The max_payload the server behind `js` announced, or nats-server's default. */
export function maxPayloadOf(js: JetStreamClient): number {
  // The JetStream client keeps its connection; nats.js types do not expose it.
  const nc = (js as unknown as { nc?: Pick<NatsConnection, 'info'> }).nc;
  const announced = nc?.info?.max_payload;
  return typeof announced === 'number' && announced > 0 ? announced : DEFAULT_MAX_PAYLOAD;
}

function budgetOf(js: JetStreamClient, opts: AuditPublishOptions): number {
  return (opts.maxPayload ?? maxPayloadOf(js)) - HEADER_ALLOWANCE;
}

function fit(event: AuditEvent, maxBytes: number, opts: AuditPublishOptions): { event: AuditEvent; bytes: number } {
  const r = reduceAuditEvent(event, maxBytes);
  if (r.reduction) opts.onReduced?.(r.event, r.reduction);
  return r;
}

/** Publishes one audit event, reduced first when it would not fit in a message. */
export async function publishAuditEvent(
  js: JetStreamClient,
  topic: Topic<typeof AuditEventSchema>,
  event: AuditEvent,
  opts: AuditPublishOptions = {},
): Promise<PubAck> {
  const encoded = toBinary(AuditEventSchema, event);
  const budget = budgetOf(js, opts);
  if (encoded.length <= budget) return publishEvent(js, topic, event, { ...opts, encoded });
  const { event: fitted } = fit(event, budget, opts);
  return publishEvent(js, topic, fitted, opts);
}

/**
 * A batch as the batches that fit in a message: itself when it fits; otherwise its events
 * (each reduced if it alone is too large) in order, packed into as few parts as fit, each part
 * with an id derived from the batch's and its position (the same batch splits the same way on a
 * retry, so JetStream stores every part once).
 */
export function splitAuditBatch(batch: AuditBatch, maxBytes: number, opts: AuditPublishOptions = {}): AuditBatch[] {
  if (toBinary(AuditBatchSchema, batch).length <= maxBytes) return [batch];
  const eventBudget = maxBytes - BATCH_OVERHEAD - PER_EVENT_OVERHEAD;
  const parts: AuditEvent[][] = [];
  let current: AuditEvent[] = [];
  let size = BATCH_OVERHEAD;
  for (const original of batch.events) {
    const { event, bytes } = fit(original, eventBudget, opts);
    const cost = bytes + PER_EVENT_OVERHEAD;
    if (current.length > 0 && size + cost > maxBytes) {
      parts.push(current);
      current = [];
      size = BATCH_OVERHEAD;
    }
    current.push(event);
    size += cost;
  }
  if (current.length > 0) parts.push(current);
  const id = batch.meta?.id ?? '';
  return parts.map((events, i) =>
    create(AuditBatchSchema, {
      ...(batch.meta ? { meta: { ...batch.meta, id: derivedEventId(`${id}\0part ${i} of ${parts.length}`) } } : {}),
      events,
    }),
  );
}

/** Publishes a batch of audit events as one message, or as several when it would not fit in one. */
export async function publishAuditBatch(
  js: JetStreamClient,
  topic: Topic<typeof AuditBatchSchema>,
  batch: AuditBatch,
  opts: AuditPublishOptions = {},
): Promise<PubAck[]> {
  const encoded = toBinary(AuditBatchSchema, batch);
  const budget = budgetOf(js, opts);
  // The common case, measured once and encoded once.
  if (encoded.length <= budget) return [await publishEvent(js, topic, batch, { ...opts, encoded })];
  const acks: PubAck[] = [];
  // In order: a failed part rejects, and the retry publishes the same parts again (those already
  // stored are duplicates JetStream drops).
  for (const part of splitAuditBatch(batch, budget, opts)) acks.push(await publishEvent(js, topic, part, opts));
  return acks;
}
