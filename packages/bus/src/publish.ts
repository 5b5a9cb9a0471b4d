// Typed publishing: a message goes out only on the subject its contract names, encoded with
// that subject's schema, with its event id as `Nats-Msg-Id` (a retried publish within the
// stream's duplicate window is stored once) and the caller's trace context in its headers.
import { type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JetStreamClient, NatsConnection, PubAck } from 'nats';
import type { Topic } from '@assay/proto';
import { eventIdOf } from '@assay/proto';
import { eventHeaders } from './message-headers.ts';
import { injectTraceContext, messagingSpan } from './trace-headers.ts';

export const TRACER_NAME = 'assay-bus';

export interface PublishEventOptions {
  /** De-duplication id; defaults to `message.meta.id`, which every event must then have. */
  msgId?: string;
  /** Fail unless the subject is stored by this stream (catches a mis-provisioned bus). */
  expectStream?: string;
  /** How long to wait for the stream's acknowledgement, in ms (client default 5000). */
  timeoutMs?: number;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** The message already encoded (a caller that measured it), so it is not encoded twice. */
  encoded?: Uint8Array;
}

/** Publishes an event to its stream and resolves with the acknowledgement (`duplicate` is set for a re-publish). */
export async function publishEvent<S extends DescMessage>(
  js: JetStreamClient,
  topic: Topic<S>,
  message: MessageShape<S>,
  opts: PublishEventOptions = {},
): Promise<PubAck> {
  const msgId = opts.msgId ?? eventIdOf(message);
  if (msgId === undefined) {
    throw new Error(`publish to ${topic.subject}: ${topic.schema.typeName} has no meta.id (use newEventMeta)`);
  }
  const data = opts.encoded ?? toBinary(topic.schema, message);
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(
    `${topic.subject} publish`,
    messagingSpan(SpanKind.PRODUCER, 'send', topic.subject, {
      'messaging.message.id': msgId,
      'messaging.message.body.size': data.length,
    }),
    async (span) => {
      try {
        const h = eventHeaders(topic.schema, msgId, opts.headers);
        injectTraceContext(h, context.active());
        const ack = await js.publish(topic.subject, data, {
          headers: h,
          msgID: msgId,
          ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
          ...(opts.expectStream !== undefined ? { expect: { streamName: opts.expectStream } } : {}),
        });
        span.setAttribute('messaging.nats.stream.sequence', ack.seq);
        if (ack.duplicate) span.setAttribute('messaging.nats.duplicate', true);
        return ack;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Publishes on core NATS (nothing stored, no acknowledgement): for transient messages such as
 * scan progress, where a lost message is replaced by the next one.
 */
export function publishCore<S extends DescMessage>(
  nc: NatsConnection,
  topic: Topic<S>,
  message: MessageShape<S>,
  opts: { headers?: Record<string, string> } = {},
): void {
  const h = eventHeaders(topic.schema, eventIdOf(message), opts.headers);
  injectTraceContext(h, context.active());
  nc.publish(topic.subject, toBinary(topic.schema, message), { headers: h });
}
