// W3C trace context for the whole process: a global propagator (so trace ids cross NATS
// headers and HTTP) and an AsyncLocalStorage context manager (so the active span follows
// async work). Spans are recorded only when an SDK tracer provider is registered; without
// one, trace ids still propagate.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

let initialised = false;

/** Idempotent: registers the W3C propagators and the async context manager once per process. */
export function initTracing(): void {
  if (initialised) return;
  initialised = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
}

/** Trace and span ids of the active span, for log lines; undefined outside a span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
