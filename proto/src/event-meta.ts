// Every event carries an EventMeta. Its id is the event's identity everywhere: the
// `Nats-Msg-Id` that lets JetStream drop a re-published duplicate, and the `_id` of the
// audit document, so retries stay idempotent end to end.
import { createHash, randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { type EventMeta, EventMetaSchema } from '../gen/assay/v1/meta_pb.js';

/** Fresh metadata for an event produced by `producer`, optionally caused by event `causationId`. */
export function newEventMeta(producer: string, causationId?: string): EventMeta {
  return create(EventMetaSchema, {
    id: randomUUID(),
    time: timestampNow(),
    producer,
    causationId: causationId ?? '',
  });
}

/** The `meta.id` of an event message, if it has one. */
export function eventIdOf(message: object): string | undefined {
  const meta = (message as { meta?: { id?: unknown } }).meta;
  return typeof meta?.id === 'string' && meta.id !== '' ? meta.id : undefined;
}

/**
 * A UUID-shaped id fixed by `key`: every replica publishing the same fact derives the same id,
 * so JetStream (Nats-Msg-Id) stores the event once.
 */
export function derivedEventId(key: string): string {
  const h = createHash('sha256').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8: custom, name-based
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
