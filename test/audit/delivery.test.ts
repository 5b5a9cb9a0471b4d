// The audit service in-process against a real nats-server and the Elasticsearch stand-in (or a
// real Elasticsearch when ES_URL is set; fault injection only against the stand-in): resources
// installed idempotently, ECS documents indexed once under their event id, retries on 429/5xx,
// permanent item failures dead-lettered with their reason, acks only after success.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, publishEvent, type BusConnection } from '@assay/bus';
import { AuditEventSchema, Consumers, DeadLetterSchema, deadLetterTopic, Streams, Topics } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { auditService, type AuditApi, type AuditShape } from '@assay/audit';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { waitFor } from '../support/processes.ts';
import {
  admissionEvent,
  auditTestEnv,
  countDocs,
  esClient,
  indexedIds,
  lostAndDuplicated,
  mixedEvent,
  policyEvent,
  publishAudit,
  scanEvent,
} from './helpers.ts';

const REAL = process.env.ES_URL;

describe('audit → Elasticsearch delivery', () => {
  let nats: NatsServer;
  let standin: ElasticsearchStandin;
  let bus: BusConnection;
  let svc: ServiceHandle<AuditShape, AuditApi>;
  let url: string;
  const dataStream = `logs-assay.audit-t${process.pid}`;

  const startAudit = async (extra: Record<string, string> = {}) => {
    const s = createService(auditService, {
      env: { ...auditTestEnv(nats.url, url, dataStream), ...extra },
    });
    await s.start();
    await s.ready({ timeoutMs: 20_000 });
    await s.api!.esStarted;
    return s;
  };

  before(async () => {
    nats = await startNatsServer();
    standin = await startElasticsearchStandin();
    url = REAL ?? standin.url;
    bus = await connectBus({ servers: nats.url });
    svc = await startAudit();
  });
  after(async () => {
    await svc?.stop();
    await bus?.close();
    await nats?.close();
    await standin?.close();
  });

  const es = () => esClient(url);

  async function waitIndexed(ids: string[], timeoutMs = 20_000): Promise<string[]> {
    return waitFor(
      `${ids.length} events indexed`,
      async () => {
        const got = await indexedIds(es(), dataStream);
        return lostAndDuplicated(ids, got).lost.length === 0 ? got : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  it('installs the ILM policy, index template and data stream, idempotently', async () => {
    const c = es();
    const t = await c.indices.getIndexTemplate({ name: 'logs-assay.audit' });
    const tpl = t.index_templates[0]!.index_template;
    assert.deepEqual(tpl.index_patterns, ['logs-assay.audit-*']);
    assert.ok(tpl.data_stream);
    const p = await c.ilm.getLifecycle({ name: 'assay-audit' });
    assert.ok(p['assay-audit']);
    const ds = await c.indices.getDataStream({ name: dataStream });
    assert.equal(ds.data_streams[0]!.name, dataStream);
    // Again, as a second replica would: nothing changes.
    const { installEsResources } = await import('@assay/audit');
    const report = await installEsResources(c, svc.api!.esResources);
    assert.deepEqual(report, {
      ilmPolicy: REAL ? report.ilmPolicy : 'unchanged',
      template: REAL ? report.template : 'unchanged',
      dataStream: 'unchanged',
    });
  });

  it('indexes each kind of event as an ECS document under its event id, and acks it', async () => {
    const evs = [
      admissionEvent(1, { allowed: false }),
      admissionEvent(2, { allowed: true, exceptionId: 'exc-7' }),
      scanEvent(3),
      policyEvent(4),
    ];
    const ids: string[] = [];
    for (const e of evs) ids.push(await publishAudit(bus.js, e));
    await waitIndexed(ids);
    const c = es();
    const r = await c.search<Record<string, any>>({ index: dataStream, size: 10, query: { term: { 'event.id': ids[0]! } } });
    const doc = r.hits.hits[0]!._source!;
    assert.equal(r.hits.hits[0]!._id, ids[0]);
    assert.equal(doc.event.action, 'admission');
    assert.deepEqual(doc.event.type, ['denied']);
    assert.equal(doc.event.outcome, 'failure');
    assert.equal(doc.kubernetes.namespace, 'team-1');
    assert.deepEqual(doc.container.image.name, ['127.0.0.1:5000/app/web']);
    assert.deepEqual(doc.vulnerability.id, ['CVE-2024-1001']);
    assert.deepEqual(doc.rule.category, ['vulnerabilities']);
    assert.equal(doc.user.name, 'system:serviceaccount:ci:deployer');
    assert.equal(doc.assay.admission.break_glass, false);
    const bg = await c.search<Record<string, any>>({ index: dataStream, query: { term: { 'assay.admission.break_glass': true } } });
    assert.equal(bg.hits.hits.length, 1);
    assert.deepEqual(bg.hits.hits[0]!._source!.assay.admission.exception_id, ['exc-7']);
    const byId = await c.search<Record<string, any>>({ index: dataStream, query: { term: { 'assay.admission.exception_id': 'exc-7' } } });
    assert.equal(byId.hits.hits.length, 1, 'found by one of its exception ids');
    const jsm = await bus.jetstreamManager();
    await waitFor('all acked', async () => {
      const info = await jsm.consumers.info(Streams.audit.name, Consumers.auditElasticsearch.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    });
  });

  it('indexes an event published twice (past the de-duplication window) once', async () => {
    const ev = admissionEvent(10);
    await publishEvent(bus.js, Topics.auditAdmission, ev, { msgId: 'a-1' });
    await publishEvent(bus.js, Topics.auditAdmission, ev, { msgId: 'a-2' });
    const marker = await publishAudit(bus.js, admissionEvent(11));
    const got = await waitIndexed([ev.meta!.id, marker]);
    assert.equal(got.filter((x) => x === ev.meta!.id).length, 1);
  });

  it('retries whole-request 429 and 503, dropped connections and per-item 503s, without loss or duplicates', { skip: !!REAL }, async () => {
    const evs = Array.from({ length: 40 }, (_, i) => mixedEvent(100 + i));
    standin.failNext(2, 429, /_bulk$/);
    standin.failNext(2, 503, /_bulk$/);
    standin.dropNext(1);
    standin.failItem(evs[5]!.meta!.id, {
      status: 503,
      type: 'unavailable_shards_exception',
      reason: 'primary shard is not active',
      times: 3,
    });
    standin.failItem(evs[6]!.meta!.id, { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected', times: 2 });
    const ids: string[] = [];
    for (const e of evs) ids.push(await publishAudit(bus.js, e));
    const got = await waitIndexed(ids);
    const { lost, duplicated } = lostAndDuplicated(ids, got);
    assert.deepEqual([lost, duplicated], [[], []]);
    const metrics = await svc.metrics.text();
    assert.match(metrics, /assay_audit_retries_total\{[^}]*sink="elasticsearch"[^}]*\} [1-9]/);
  });

  it('splits a bulk request refused as too large (413) instead of retrying it as is', { skip: !!REAL }, async () => {
    await new Promise((r) => setTimeout(r, 300));
    const requestsBefore = standin.requests.length;
    standin.failNext(1, 413, /_bulk$/);
    const ids: string[] = [];
    const evs = Array.from({ length: 12 }, (_, i) => mixedEvent(150 + i));
    // Published together so they share a batch.
    await Promise.all(evs.map((e) => publishAudit(bus.js, e).then((id) => ids.push(id))));
    const got = await waitIndexed(ids);
    assert.deepEqual(lostAndDuplicated(ids, got), { lost: [], duplicated: [] });
    const bulks = standin.requests.slice(requestsBefore).filter((r) => r.endsWith('/_bulk')).length;
    assert.ok(bulks >= 3, `${bulks} bulk requests: ${standin.requests.slice(requestsBefore).join(', ')}`);
  });

  it('dead-letters a document Elasticsearch refuses for good, with the reason, and keeps going', { skip: !!REAL }, async () => {
    const bad = admissionEvent(200);
    standin.failItem(bad.meta!.id, {
      status: 400,
      type: 'mapper_parsing_exception',
      reason: 'failed to parse field [kubernetes.namespace]',
    });
    const sub = bus.nc.subscribe(deadLetterTopic(Streams.audit.name).subject, { max: 1 });
    const good = admissionEvent(201);
    await publishAudit(bus.js, bad);
    await publishAudit(bus.js, good);
    await waitIndexed([good.meta!.id]);
    let dl;
    for await (const m of sub) dl = fromBinary(DeadLetterSchema, m.data);
    assert.ok(dl);
    assert.equal(dl.stream, Streams.audit.name);
    assert.equal(dl.consumer, Consumers.auditElasticsearch.durable);
    assert.match(dl.reason, /mapper_parsing_exception/);
    assert.equal(fromBinary(AuditEventSchema, dl.data).meta!.id, bad.meta!.id);
    assert.ok(!(await indexedIds(es(), dataStream)).includes(bad.meta!.id));
    assert.match(await svc.metrics.text(), /assay_audit_dead_letters_total\{[^}]*\} 1/);
  });

  it('dead-letters a message that is not an AuditEvent', async () => {
    const sub = bus.nc.subscribe(deadLetterTopic(Streams.audit.name).subject, { max: 1 });
    await bus.js.publish('assay.audit.admission', new Uint8Array([0xff, 0xff, 0xff]));
    for await (const m of sub) assert.match(fromBinary(DeadLetterSchema, m.data).reason, /cannot decode/);
  });

  it('a real mapping conflict (stand-in validation) is a permanent failure', { skip: !!REAL }, async () => {
    // A document whose long field holds text: the stand-in's mapping check refuses it with 400.
    const r = await es().bulk({
      operations: [
        { create: { _index: dataStream, _id: 'm-1' } },
        { '@timestamp': new Date().toISOString(), assay: { stream_sequence: 'not-a-number' } },
      ],
    });
    assert.equal(r.errors, true);
    const item = r.items[0]!.create!;
    assert.equal(item.status, 400);
    assert.equal(item.error?.type, 'mapper_parsing_exception');
  });

  it('holds events while Elasticsearch is unreachable and delivers them after', { skip: !!REAL }, async () => {
    await standin.down(3_000);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await publishAudit(bus.js, mixedEvent(300 + i)));
    await standin.waitUp();
    const got = await waitIndexed(ids, 30_000);
    assert.deepEqual(lostAndDuplicated(ids, got).duplicated, []);
    assert.equal(await countDocs(es(), dataStream), new Set(got).size);
  });
});
