// Every event carries an EventMeta. Its id is the event's identity everywhere: the
// `Nats-Msg-Id` that lets JetStream drop a re-published duplicate, and the `_id` of the
// audit document, so retries stay idempotent end to end.
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { type EventMeta, EventMetaSchema } from '@assay/proto';

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
