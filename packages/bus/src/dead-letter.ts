// The DeadLetter record: what a consumer could not handle, with enough to replay or inspect it
// (its bytes and headers, where it came from, how often it was delivered, why it was given up).
// Built here once, so the durable consumer and the audit sinks record the same thing.
import { create } from '@bufbuild/protobuf';
import type { JsMsg } from 'nats';
import { type DeadLetter, DeadLetterSchema } from '@assay/proto';
import { newEventMeta } from '@assay/proto';
import { headersToRecord } from './message-headers.ts';

export interface DeadLetterSource {
  /** `producer` of the record's EventMeta: the service giving the message up. */
  producer: string;
  stream: string;
  /** The durable consumer that gave the message up. */
  consumer: string;
  /** The id of the event the message carries, when known (the record's causation id). */
  causationId?: string | undefined;
}

/** The DeadLetter record of `m`, given up for `reason`. */
export function deadLetterRecord(m: JsMsg, reason: string, source: DeadLetterSource): DeadLetter {
  return create(DeadLetterSchema, {
    meta: newEventMeta(source.producer, source.causationId),
    stream: source.stream,
    consumer: source.consumer,
    subject: m.subject,
    streamSequence: BigInt(m.seq),
    deliveries: m.info.deliveryCount,
    reason,
    data: m.data,
    headers: headersToRecord(m.headers),
  });
}
