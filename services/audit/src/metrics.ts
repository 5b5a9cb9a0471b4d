// Per-sink metrics: lag (messages pending on the consumer, and held by the sink), batch sizes,
// retries, dead letters, delivered and already-present documents.
import type { Metrics } from '@assay/telemetry';

export interface SinkMetrics {
  batchDocs(n: number): void;
  batchBytes(n: number): void;
  indexed(n: number): void;
  duplicates(n: number): void;
  retry(reason: string): void;
  deadLettered(reason: string): void;
  setPending(n: number): void;
  setHeld(n: number): void;
}

export function sinkMetrics(metrics: Metrics, sink: string): SinkMetrics {
  const docs = metrics.histogram({
    name: 'assay_audit_batch_docs',
    help: 'Events per batch handed to a sink',
    labelNames: ['sink'],
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 5000],
  });
  const bytes = metrics.histogram({
    name: 'assay_audit_batch_bytes',
    help: 'Bytes per batch handed to a sink',
    labelNames: ['sink'],
    buckets: [1e3, 1e4, 1e5, 5e5, 1e6, 5e6, 1e7],
  });
  const delivered = metrics.counter({
    name: 'assay_audit_delivered_total',
    help: 'Events a sink confirmed',
    labelNames: ['sink', 'result'],
  });
  const retries = metrics.counter({
    name: 'assay_audit_retries_total',
    help: 'Sink request retries, by reason',
    labelNames: ['sink', 'reason'],
  });
  const dead = metrics.counter({
    name: 'assay_audit_dead_letters_total',
    help: 'Events dead-lettered, by reason',
    labelNames: ['sink', 'reason'],
  });
  const pending = metrics.gauge({
    name: 'assay_audit_pending',
    help: 'Lag: messages on the sink consumer not yet delivered to it (from consumer info)',
    labelNames: ['sink'],
  });
  const held = metrics.gauge({ name: 'assay_audit_held', help: 'Events held by the sink, not yet acknowledged', labelNames: ['sink'] });
  const l = { sink };
  return {
    batchDocs: (n) => docs.observe(l, n),
    batchBytes: (n) => bytes.observe(l, n),
    indexed: (n) => delivered.inc({ sink, result: 'created' }, n),
    duplicates: (n) => delivered.inc({ sink, result: 'already_present' }, n),
    retry: (reason) => retries.inc({ sink, reason }),
    deadLettered: (reason) => dead.inc({ sink, reason }),
    setPending: (n) => pending.set(l, n),
    setHeld: (n) => held.set(l, n),
  };
}
