// AuditBatch messages (admission publishes its decisions in batches) through the audit service
// against a real nats-server and the Elasticsearch stand-in: every event of a batch is indexed
// under its own id, dead-lettered on its own, retried and redelivered without duplicates, and
// the stream message is acked once all its events are done.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { connectBus, HEADER_MSG_ID, newEventMeta, publishEvent, type BusConnection } from '@assay/bus';
import {
  type AuditEvent,
  AuditBatchSchema,
  AuditEventSchema,
  Consumers,
  type DeadLetter,
  DeadLetterSchema,
  deadLetterTopic,
  Streams,
  Topics,
} from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { auditService, type AuditApi, type AuditShape } from '@assay/audit';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { waitFor } from '../support/processes.ts';
import { admissionEvent, auditTestEnv, esClient, indexedIds, lostAndDuplicated } from './helpers.ts';

describe('audit → Elasticsearch, batched admission events', () => {
  let nats: NatsServer;
  let standin: ElasticsearchStandin;
  let bus: BusConnection;
  let svc: ServiceHandle<AuditShape, AuditApi> | undefined;
  const dataStream = `logs-assay.audit-b${process.pid}`;
  const durable = Consumers.auditElasticsearch.durable;

  const startAudit = async () => {
    const s = createService(auditService, {
      env: { ...auditTestEnv(nats.url, standin.url, dataStream), AUDIT_ACK_WAIT: '3s' },
    });
    await s.start();
    await s.ready({ timeoutMs: 20_000 });
    await s.api!.esStarted;
    return s;
  };

  before(async () => {
    nats = await startNatsServer();
    standin = await startElasticsearchStandin();
    bus = await connectBus({ servers: nats.url });
    svc = await startAudit();
  });
  after(async () => {
    await svc?.stop();
    await bus?.close();
    await nats?.close();
    await standin?.close();
  });

  const es = () => esClient(standin.url);

  async function publishBatch(events: AuditEvent[]): Promise<number> {
    const batch = create(AuditBatchSchema, { meta: newEventMeta('admission'), events });
    return (await publishEvent(bus.js, Topics.auditAdmissionBatch, batch)).seq;
  }

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

  async function waitDrained(): Promise<void> {
    const jsm = await bus.jetstreamManager();
    await waitFor('consumer drained', async () => {
      const info = await jsm.consumers.info(Streams.audit.name, durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    });
  }

  async function deadLettersStored(): Promise<number> {
    const jsm = await bus.jetstreamManager();
    return (await jsm.streams.info(Streams.deadLetter.name)).state.messages;
  }

  /** Dead letters as they are published (core subscription), with their Nats-Msg-Id. */
  function watchDeadLetters() {
    const got: Array<{ msgId: string; dl: DeadLetter }> = [];
    const sub = bus.nc.subscribe(deadLetterTopic(Streams.audit.name).subject, {
      callback: (_err, m) => got.push({ msgId: m.headers?.get(HEADER_MSG_ID) ?? '', dl: fromBinary(DeadLetterSchema, m.data) }),
    });
    return { got, stop: () => sub.unsubscribe() };
  }

  it('indexes every event of a batch under its own id, and acks the batch', async () => {
    const dls = watchDeadLetters();
    const events = Array.from({ length: 25 }, (_, i) => admissionEvent(i));
    const ids = events.map((e) => e.meta!.id);
    await publishBatch(events);
    const got = await waitIndexed(ids);
    assert.deepEqual(lostAndDuplicated(ids, got), { lost: [], duplicated: [] });
    assert.equal(got.length, ids.length);
    const r = await es().search<Record<string, any>>({ index: dataStream, query: { term: { 'event.id': ids[3]! } } });
    assert.equal(r.hits.hits[0]!._source!.assay.subject, Topics.auditAdmissionBatch.subject);
    assert.equal(r.hits.hits[0]!._source!.kubernetes.namespace, 'team-3');
    await waitDrained();
    // Acked, not terminated: nothing was dead-lettered.
    dls.stop();
    assert.deepEqual(
      dls.got.map((d) => d.dl.reason),
      [],
    );
  });

  it('dead-letters only the events Elasticsearch refuses for good, each on its own', async () => {
    const events = Array.from({ length: 6 }, (_, i) => admissionEvent(100 + i));
    const bad = [1, 4];
    for (const i of bad)
      standin.failItem(events[i]!.meta!.id, { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse event ${i}` });
    const storedBefore = await deadLettersStored();
    const dls = watchDeadLetters();
    const seq = await publishBatch(events);
    const good = events.filter((_, i) => !bad.includes(i)).map((e) => e.meta!.id);
    await waitIndexed(good);
    await waitDrained();
    await waitFor('two dead letters', () => (dls.got.length >= 2 ? true : undefined));
    dls.stop();
    const byMsgId = new Map(dls.got.map((d) => [d.msgId, d.dl]));
    assert.deepEqual(
      [...byMsgId.keys()].sort(),
      bad.map((i) => `dl-${durable}-${seq}-${i}`),
    );
    for (const i of bad) {
      const dl = byMsgId.get(`dl-${durable}-${seq}-${i}`)!;
      assert.deepEqual(new Uint8Array(dl.data), toBinary(AuditEventSchema, events[i]!));
      assert.equal(dl.streamSequence, BigInt(seq));
      assert.equal(dl.subject, Topics.auditAdmissionBatch.subject);
      assert.match(dl.reason, new RegExp(`mapper_parsing_exception.*failed to parse event ${i}`));
    }
    // Both stored: distinct Nats-Msg-Ids, so the second is not taken for a duplicate of the first.
    assert.equal((await deadLettersStored()) - storedBefore, 2);
    const indexed = await indexedIds(es(), dataStream);
    for (const i of bad) assert.ok(!indexed.includes(events[i]!.meta!.id), `event ${i} indexed`);
  });

  it('retries events refused for now, then indexes each exactly once', async () => {
    const events = Array.from({ length: 10 }, (_, i) => admissionEvent(200 + i));
    const ids = events.map((e) => e.meta!.id);
    standin.failNext(1, 503, /_bulk$/);
    standin.failItem(ids[3]!, { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active', times: 3 });
    standin.failItem(ids[7]!, { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected', times: 2 });
    await publishBatch(events);
    const got = await waitIndexed(ids);
    assert.deepEqual(lostAndDuplicated(ids, got), { lost: [], duplicated: [] });
    assert.deepEqual(
      ids.map((id) => standin.writes.get(id)),
      ids.map(() => 1),
    );
    await waitDrained();
  });

  it('redelivers a batch handed back unfinished, without indexing any event twice', async () => {
    const events = Array.from({ length: 8 }, (_, i) => admissionEvent(300 + i));
    const ids = events.map((e) => e.meta!.id);
    // One event keeps failing for now: the others are indexed and acked as parts, the batch stays open.
    standin.failItem(ids[2]!, { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' });
    const conflictsBefore = standin.conflicts;
    await publishBatch(events);
    await waitIndexed(ids.filter((_, i) => i !== 2));
    const jsm = await bus.jetstreamManager();
    const info = await jsm.consumers.info(Streams.audit.name, durable);
    assert.equal(info.num_ack_pending, 1, 'the batch is not acked while one of its events is not indexed');
    // Stopping hands the unfinished event back (nak): the whole batch comes again.
    await svc!.stop();
    svc = undefined;
    standin.clearFaults();
    svc = await startAudit();
    const got = await waitIndexed(ids);
    assert.deepEqual(lostAndDuplicated(ids, got), { lost: [], duplicated: [] });
    assert.deepEqual(
      ids.map((id) => standin.writes.get(id)),
      ids.map(() => 1),
    );
    // The redelivered batch met the seven already indexed: 409, counted as delivered.
    assert.ok(standin.conflicts - conflictsBefore >= 7, `${standin.conflicts - conflictsBefore} conflicts`);
    await waitDrained();
  });

  it('dead-letters a batch that cannot be decoded, whole', async () => {
    const dls = watchDeadLetters();
    const ack = await bus.js.publish(Topics.auditAdmissionBatch.subject, new Uint8Array([0xff, 0xff, 0xff]));
    await waitFor('dead letter', () => (dls.got.length >= 1 ? true : undefined));
    dls.stop();
    assert.equal(dls.got[0]!.msgId, `dl-${durable}-${ack.seq}`);
    assert.match(dls.got[0]!.dl.reason, /cannot decode/);
    assert.deepEqual(new Uint8Array(dls.got[0]!.dl.data), new Uint8Array([0xff, 0xff, 0xff]));
    await waitDrained();
  });
});
