// Audit delivery throughput: events per second from publish to acknowledged-indexed, through a
// real nats-server, the audit service (in-process, default batching) and the Elasticsearch
// stand-in, the events published from a thread of their own (audit-publisher.ts); against a
// baseline in the same run: bulk indexing of the same ECS documents straight into the stand-in
// with the official client (no NATS, no service), same batch size and concurrency. Then checks
// every event id is in the index exactly once.
// Last line: baseline_bulk_docs_per_s=… audit_events_per_s=… lost=… duplicated=…
import { toBinary } from '@bufbuild/protobuf';
import { connectBus, eventHeaders } from '@assay/bus';
import { AuditEventSchema, Consumers, Streams } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { auditService, toEcs } from '@assay/audit';
import { startNatsServer } from '../test/support/nats-server.ts';
import { startElasticsearchStandin } from '../test/support/elasticsearch-standin/index.ts';
import { esClient, lostAndDuplicated, mixedEvent, topicOf } from '../test/audit/helpers.ts';
import { startPublisher } from './audit-publisher.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BATCH = 500;
const CONCURRENCY = 2;
const PUBLISH_IN_FLIGHT = 256;

const nats = await startNatsServer();
const standin = await startElasticsearchStandin();
const bus = await connectBus({ servers: nats.url, name: 'bench' });
const env = {
  NATS_URL: nats.url,
  HTTP_PORT: '0',
  LOG_LEVEL: 'warn',
  AUDIT_ES_URL: standin.url,
  AUDIT_BATCH_MAX_DOCS: String(BATCH),
  AUDIT_ES_CONCURRENCY: String(CONCURRENCY),
  METRICS_DEFAULT: 'false',
};
const svc = createService(auditService, { env });
try {
  await svc.start();
  await svc.ready({ timeoutMs: 30_000 });
  await svc.api!.esStarted;
  const dataStream = svc.api!.esResources.dataStream;
  // Polled every 10 ms while the service works: a count, not a list of every id (that list grew
  // with the index and its cost landed in the service's measured time).
  const indexed = () => standin.resolve(dataStream).reduce((n, i) => n + i.docs.size, 0);

  const events = Array.from({ length: EVENTS }, (_, i) => mixedEvent(i));
  const ids = events.map((e) => e.meta!.id);

  // Baseline: the same documents, bulk-indexed directly into another data stream of the template.
  const es = esClient(standin.url);
  const baseDs = 'logs-assay.audit-baseline';
  const origin = { subject: 'assay.audit.admission', stream: 'ASSAY_AUDIT', streamSequence: 0, storedAt: new Date() };
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const from = next;
        next = Math.min(EVENTS, next + BATCH);
        const ops: string[] = [];
        for (let i = from; i < next; i++) {
          ops.push(
            JSON.stringify({ create: { _index: baseDs, _id: ids[i] } }),
            JSON.stringify(toEcs(events[i]!, { ...origin, streamSequence: i + 1 })),
          );
        }
        const r = await es.bulk({ operations: ops as never[] });
        if (r.errors) throw new Error('baseline bulk had errors');
      }
    }),
  );
  const baseline = EVENTS / (Number(process.hrtime.bigint() - t0) / 1e9);

  // Through the service: publish (windowed, from a thread of its own as the producing services
  // are processes of their own), then wait until every event is indexed and acked.
  const encoded = events.map((e) => ({ subject: topicOf(e).subject, data: toBinary(AuditEventSchema, e), id: e.meta!.id }));
  const jsm = await bus.jetstreamManager();
  const publisher = await startPublisher(nats.url, encoded, PUBLISH_IN_FLIGHT);
  const t1 = process.hrtime.bigint();
  await publisher.run();
  const publishedS = Number(process.hrtime.bigint() - t1) / 1e9;
  for (;;) {
    if (indexed() >= EVENTS) {
      const info = await jsm.consumers.info(Streams.audit.name, Consumers.auditElasticsearch.durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const rate = EVENTS / seconds;

  // The sink's own pace: a backlog of the same size, published while no audit service runs,
  // drained by a fresh one (consume + map + bulk + ack only).
  await svc.stop();
  const backlog = Array.from({ length: EVENTS }, (_, i) => mixedEvent(EVENTS + i));
  let b = 0;
  await Promise.all(
    Array.from({ length: PUBLISH_IN_FLIGHT }, async () => {
      while (b < EVENTS) {
        const e = backlog[b++]!;
        await bus.js.publish(topicOf(e).subject, toBinary(AuditEventSchema, e), {
          msgID: e.meta!.id,
          headers: eventHeaders(AuditEventSchema, e.meta!.id),
        });
      }
    }),
  );
  const svc2 = createService(auditService, { env: { ...env } });
  await svc2.start();
  const t2 = process.hrtime.bigint();
  await svc2.api!.esStarted;
  for (;;) {
    if (indexed() >= 2 * EVENTS) {
      const info = await jsm.consumers.info(Streams.audit.name, Consumers.auditElasticsearch.durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const drain = EVENTS / (Number(process.hrtime.bigint() - t2) / 1e9);
  await svc2.stop();

  const allIds = [...ids, ...backlog.map((e) => e.meta!.id)];
  const { lost } = lostAndDuplicated(allIds, standin.ids(dataStream));
  const inBaseline = new Set(standin.ids(baseDs));
  const duplicated = allIds.filter((id) => (standin.writes.get(id) ?? 0) > 1 + (inBaseline.has(id) ? 1 : 0)).length;
  console.log(
    `events=${EVENTS} batch=${BATCH} concurrency=${CONCURRENCY} publish_s=${publishedS.toFixed(2)} end_to_end_s=${seconds.toFixed(2)} bulk_requests=${standin.bulkRequests}`,
  );
  console.log(`audit_backlog_drain_events_per_s=${drain.toFixed(0)} (consume, map, bulk, ack; no publishing)`);
  console.log(
    `baseline_bulk_docs_per_s=${baseline.toFixed(0)} audit_events_per_s=${rate.toFixed(0)} lost=${lost.length} duplicated=${duplicated}`,
  );
} finally {
  await svc.stop();
  await bus.close();
  await nats.close();
  await standin.close();
}
