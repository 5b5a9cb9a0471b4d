// @assay/telemetry: JSON log lines with service, instance and trace ids, secrets redacted;
// a per-service Prometheus registry with the service label.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { createLogger, createMetrics, initTracing } from '@assay/telemetry';
import { logSink } from '../support/log-sink.ts';

describe('telemetry: logger', () => {
  it('writes JSON lines with service, instance, level name and time', () => {
    const { lines, destination: stream } = logSink();
    const log = createLogger({ service: 'scanner', instance: 'pod-1', destination: stream });
    log.info({ digest: 'sha256:abc' }, 'scan started');
    assert.equal(lines.length, 1);
    const l = lines[0]!;
    assert.equal(l.service, 'scanner');
    assert.equal(l.instance, 'pod-1');
    assert.equal(l.level, 'info');
    assert.equal(l.msg, 'scan started');
    assert.equal(l.digest, 'sha256:abc');
    assert.ok(!Number.isNaN(Date.parse(String(l.time))));
    assert.equal(l.trace_id, undefined, 'no trace id outside a span');
  });

  it('adds trace_id and span_id of the active span', () => {
    initTracing();
    const { lines, destination: stream } = logSink();
    const log = createLogger({ service: 'policy', destination: stream });
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
    log.info('outside');
    assert.equal(lines[0]!.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(lines[0]!.span_id, 'b7ad6b7169203331');
    assert.equal(lines[1]!.trace_id, undefined);
  });

  it('redacts secret-looking fields at any of the first levels', () => {
    const { lines, destination: stream } = logSink();
    const log = createLogger({ service: 'audit', destination: stream });
    log.info(
      { password: 'p1', nats: { token: 't1', user: 'audit' }, req: { headers: { authorization: 'Bearer x1' } }, NATS_PASSWORD: 'p2' },
      'connect',
    );
    const text = JSON.stringify(lines[0]);
    for (const s of ['p1', 't1', 'Bearer x1', 'p2']) assert.ok(!text.includes(`"${s}"`), `leaked ${s}: ${text}`);
    assert.equal((lines[0]!.nats as Record<string, unknown>).user, 'audit');
    assert.equal(lines[0]!.password, '<redacted>');
  });

  it('honours the level', () => {
    const { lines, destination: stream } = logSink();
    const log = createLogger({ service: 'x', level: 'warn', destination: stream });
    log.info('dropped');
    log.warn('kept');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['kept'],
    );
  });
});

describe('telemetry: metrics', () => {
  it('exposes default and custom metrics with the service label, per service', async () => {
    const a = createMetrics({ service: 'scanner' });
    const b = createMetrics({ service: 'policy', defaultMetrics: false });
    const scans = a.counter({ name: 'assay_scans_total', help: 'Scans', labelNames: ['outcome'] });
    scans.inc({ outcome: 'ok' });
    assert.equal(a.counter({ name: 'assay_scans_total', help: 'Scans', labelNames: ['outcome'] }), scans, 'same metric twice');
    a.histogram({ name: 'assay_scan_seconds', help: 'Scan time' }).observe(0.2);
    const text = await a.text();
    assert.match(text, /^assay_scans_total\{outcome="ok",service="scanner"\} 1$/m);
    assert.match(text, /^assay_scan_seconds_bucket\{le="0.25",service="scanner"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total\{service="scanner"\} /m);
    assert.match(a.contentType, /^text\/plain/);
    const other = await b.text();
    assert.ok(!other.includes('assay_scans_total'), 'registries are separate');
    assert.ok(!other.includes('process_cpu_user_seconds_total'), 'default metrics off');
  });
});
