// W3C trace context crosses the bus: the handler of a message runs in the publisher's trace.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ImageDiscoveredSchema, ScanProgressSchema, ScanProgressTopic, Streams, deadLetterTopic, DeadLetterSchema } from '@assay/proto';
import { initTracing } from '@assay/telemetry';
import {
  type BusConnection,
  connectBus,
  consumeDurable,
  newEventMeta,
  PermanentError,
  provisionTopology,
  publishCore,
  publishEvent,
  subscribeCore,
} from '@assay/bus';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { discovered, eventually, testTopology } from './helpers.ts';

const exporter = new InMemorySpanExporter();
let server: NatsServer;
let bus: BusConnection;

before(async () => {
  initTracing();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  server = await startNatsServer();
  bus = await connectBus({ servers: server.url, name: 'trace-test' });
});
after(async () => {
  await bus?.close();
  await server?.close();
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('the handler runs in the trace of the span that published the message', async () => {
  const t = testTopology('trace');
  await provisionTopology(await bus.jetstreamManager(), t);
  const seen: Array<{ traceId: string; spanId: string; traceparent: string }> = [];
  const handle = await consumeDurable({
    js: bus.js,
    connection: bus,
    consumer: t.consumer,
    schema: ImageDiscoveredSchema,
    handler: (_m, d) => {
      const sc = trace.getActiveSpan()?.spanContext();
      seen.push({ traceId: sc?.traceId ?? '', spanId: sc?.spanId ?? '', traceparent: d.headers?.get('traceparent') ?? '' });
    },
  });
  try {
    const tracer = trace.getTracer('test');
    const requestSpan = await tracer.startActiveSpan('POST /scan', async (span) => {
      await publishEvent(bus.js, t.topic, discovered());
      span.end();
      return span;
    });
    const traceId = requestSpan.spanContext().traceId;
    await eventually('the message handled', () => seen.length === 1);
    const got = seen[0]!;
    assert.equal(got.traceId, traceId);
    const m = TRACEPARENT.exec(got.traceparent);
    assert.ok(m, `traceparent ${got.traceparent}`);
    assert.equal(m[1], traceId);

    await eventually('spans exported', () => exporter.getFinishedSpans().some((s) => s.name === `${t.topic.subject} process`));
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const publish = spans.find((s) => s.name === `${t.topic.subject} publish`);
    const process = spans.find((s) => s.name === `${t.topic.subject} process`);
    assert.ok(publish && process, spans.map((s) => s.name).join(', '));
    assert.equal(publish.kind, SpanKind.PRODUCER);
    assert.equal(publish.parentSpanContext?.spanId, requestSpan.spanContext().spanId);
    assert.equal(process.kind, SpanKind.CONSUMER);
    // The header carries the producer span; the consumer span is its child; the handler sees it.
    assert.equal(m[2], publish.spanContext().spanId);
    assert.equal(process.parentSpanContext?.spanId, publish.spanContext().spanId);
    assert.equal(got.spanId, process.spanContext().spanId);
    assert.equal(process.attributes['messaging.destination.name'], t.topic.subject);
  } finally {
    await handle.stop();
  }
});

test('a dead letter stays in the trace of the message it records', async () => {
  const t = testTopology('tracedl');
  await provisionTopology(await bus.jetstreamManager(), t);
  const handle = await consumeDurable({
    js: bus.js,
    connection: bus,
    consumer: t.consumer,
    schema: ImageDiscoveredSchema,
    handler: () => {
      throw new PermanentError('no');
    },
  });
  try {
    const traceId = await trace.getTracer('test').startActiveSpan('job', async (span) => {
      await publishEvent(bus.js, t.topic, discovered());
      span.end();
      return span.spanContext().traceId;
    });
    const jsm = await bus.jetstreamManager();
    const subject = deadLetterTopic(t.stream.name).subject;
    const stored = await (async () => {
      let found: Awaited<ReturnType<typeof jsm.streams.getMessage>> | undefined;
      await eventually('the dead letter', async () => {
        found = await jsm.streams.getMessage(Streams.deadLetter.name, { last_by_subj: subject });
        return true;
      });
      return found!;
    })();
    assert.equal(fromBinary(DeadLetterSchema, stored.data).reason, 'permanent error: no');
    assert.equal(TRACEPARENT.exec(stored.header.get('traceparent'))?.[1], traceId);
  } finally {
    await handle.stop();
  }
});

test('core messages carry the trace too', async () => {
  const digest = `sha256:${'cd'.repeat(32)}`;
  const topic = ScanProgressTopic.forDigest(digest);
  const seen: string[] = [];
  const sub = subscribeCore(bus.nc, topic, () => void seen.push(trace.getActiveSpan()?.spanContext().traceId ?? ''));
  try {
    await bus.nc.flush();
    const traceId = trace.getTracer('test').startActiveSpan('scan', (span) => {
      publishCore(bus.nc, topic, create(ScanProgressSchema, { meta: newEventMeta('scanner'), digest, stage: 'pull' }));
      span.end();
      return span.spanContext().traceId;
    });
    await eventually('the progress message', () => seen.length === 1);
    assert.equal(seen[0], traceId);
  } finally {
    sub.unsubscribe();
  }
});
