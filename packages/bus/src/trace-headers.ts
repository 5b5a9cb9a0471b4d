// W3C trace context travels in NATS message headers (`traceparent`, `tracestate`, `baggage`),
// so a span started by a publisher continues in whichever service handles the message.
import {
  type Attributes,
  context,
  propagation,
  type Context,
  ROOT_CONTEXT,
  type SpanKind,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { Match, type MsgHdrs } from 'nats';

export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys(carrier) {
    return carrier ? carrier.keys() : [];
  },
  get(carrier, key) {
    // Case-insensitive: other clients may write `Traceparent`.
    if (!carrier || !carrier.has(key, Match.IgnoreCase)) return undefined;
    const values = carrier.values(key, Match.IgnoreCase);
    return values.length > 1 ? values : values[0];
  },
};

/** Writes the active (or given) context's trace headers into `headers`. */
export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, natsHeaderSetter);
}

/**
 * The context a message's headers carry, on top of the root context: a handler's work belongs
 * to the publisher's trace, not to whatever the consuming loop happened to run in.
 */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, natsHeaderGetter);
}

/**
 * A messaging span's options, with the OpenTelemetry messaging attributes every NATS span
 * carries (system, operation, subject) plus what only this side knows.
 */
export function messagingSpan(kind: SpanKind, operation: 'send' | 'process', subject: string, attributes: Attributes): SpanOptions {
  return {
    kind,
    attributes: {
      'messaging.system': 'nats',
      'messaging.operation.type': operation,
      'messaging.destination.name': subject,
      ...attributes,
    },
  };
}
