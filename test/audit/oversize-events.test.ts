// Audit events larger than the server's max_payload, against a real nats-server started with a
// small one (16 KiB) and the audit service delivering to the Elasticsearch stand-in: an admission
// batch over the limit leaves as several messages holding every event once, a single event over
// the limit arrives reduced with counts of what was left out, and nothing is retried forever.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  connectBus,
  maxPayloadOf,
  publishAuditBatch,
  publishAuditEvent,
  publishEvent,
  REDUCED_RECORD_CONTROL,
  type BusConnection,
} from '@assay/bus';
import { type AuditEvent, AuditBatchSchema, AuditEventSchema, Streams, Topics, VerdictEvidenceSchema } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { auditService, type AuditApi, type AuditShape } from '@assay/audit';
import { AuditBatcher, eventsIn, Outbox, type OutboundEvent, publisherFor } from '@assay/admission';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { waitFor } from '../support/processes.ts';
import { admissionEvent, auditTestEnv, esClient, indexedIds, lostAndDuplicated, policyEvent, verdictEvent } from './helpers.ts';

const MAX_PAYLOAD = 16 * 1024;

/** `n` findings, each naming a package and a fix: the bulk of an oversized verdict record. */
function evidence(n: number) {
  return Array.from({ length: n }, (_, i) =>
    create(VerdictEvidenceSchema, {
      item: `CVE-2024-${10_000 + i}`,
      fields: { package: `libexample${i % 50}`, installed: '1.2.3', fixed: '1.2.4', severity: 'high' },
    }),
  );
}

/** An admission decision of about 1.5 KB: a refused image with a few findings as evidence. */
function mediumDecision(i: number): AuditEvent {
  const e = admissionEvent(i, { allowed: false });
  if (e.event.case === 'admission') e.event.value.images[0]!.reasons[0]!.evidence = evidence(12);
  return e;
}

const silent = { warn() {}, error() {}, info() {} };

describe('audit events over the server max_payload', () => {
  let nats: NatsServer;
  let standin: ElasticsearchStandin;
  let bus: BusConnection;
  let svc: ServiceHandle<AuditShape, AuditApi> | undefined;
  const dataStream = `logs-assay.audit-o${process.pid}`;

  before(async () => {
    nats = await startNatsServer({ extraConfig: `max_payload: ${MAX_PAYLOAD}\n` });
    standin = await startElasticsearchStandin();
    bus = await connectBus({ servers: nats.url });
    const s = createService(auditService, {
      env: { ...auditTestEnv(nats.url, standin.url, dataStream), AUDIT_ACK_WAIT: '3s' },
    });
    svc = s;
    await s.start();
    await s.ready({ timeoutMs: 20_000 });
    await s.api!.esStarted;
  });
  after(async () => {
    await svc?.stop();
    await bus?.close();
    await nats?.close();
    await standin?.close();
  });

  const es = () => esClient(standin.url);

  async function waitIndexed(ids: string[]): Promise<void> {
    await waitFor(
      `${ids.length} events indexed`,
      async () => {
        const got = await indexedIds(es(), dataStream);
        const { lost, duplicated } = lostAndDuplicated(ids, got);
        assert.deepEqual(duplicated, []);
        return lost.length === 0 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }

  /** Every stored message on `subject`, read by sequence (the test server predates multi-filter consumers). */
  async function storedOn(subject: string): Promise<Uint8Array[]> {
    const jsm = await bus.nc.jetstreamManager();
    const { first_seq, last_seq } = (await jsm.streams.info(Streams.audit.name)).state;
    const out: Uint8Array[] = [];
    for (let seq = first_seq; seq <= last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
      if (m?.subject === subject) out.push(m.data);
    }
    return out;
  }

  async function docOf(id: string): Promise<Record<string, any>> {
    await es()
      .indices.refresh({ index: dataStream })
      .catch(() => {});
    const res = await es().search<Record<string, any>>({ index: dataStream, size: 10_000, query: { match_all: {} } });
    const hit = res.hits.hits.find((h) => h._id === id);
    assert.ok(hit?._source, `document ${id} indexed`);
    return hit._source;
  }

  it('learns the limit from the connection', () => {
    assert.equal(maxPayloadOf(bus.js), MAX_PAYLOAD);
  });

  it("splits an admission batch over the limit into several messages, every event once, through admission's outbox", async () => {
    const events = Array.from({ length: 40 }, (_, i) => mediumDecision(i));
    const whole = create(AuditBatchSchema, { meta: { id: 'never-published' }, events });
    // The premise: as one message this batch is refused by the server.
    await assert.rejects(publishEvent(bus.js, Topics.auditAdmissionBatch, whole, { timeoutMs: 2000 }));

    const outbox = new Outbox<OutboundEvent>({
      capacity: 1000,
      publish: publisherFor(bus, 2000),
      isConnected: () => bus.isConnected(),
      weight: eventsIn,
      logger: silent,
    });
    const batcher = new AuditBatcher({ outbox, producer: 'admission', maxEvents: 1000, lingerMs: 60_000 });
    for (const e of events) batcher.add(e);
    batcher.flush();
    // Nothing retried forever: the outbox empties, every event counted as published.
    await Promise.race([
      outbox.idle(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('outbox still retrying')), 10_000).unref()),
    ]);
    assert.equal(outbox.published, events.length);
    assert.equal(await outbox.stop(1000), 0);

    const stored = await storedOn(Topics.auditAdmissionBatch.subject);
    assert.ok(stored.length > 1, `split into ${stored.length} messages`);
    const ids: string[] = [];
    for (const data of stored) {
      assert.ok(data.length <= MAX_PAYLOAD, `message of ${data.length} bytes fits`);
      ids.push(...fromBinary(AuditBatchSchema, data).events.map((e) => e.meta!.id));
    }
    const published = events.map((e) => e.meta!.id);
    assert.deepEqual(ids, published, 'every event once, in order');
    // Small enough events are not reduced by splitting.
    const first = fromBinary(AuditBatchSchema, stored[0]!).events[0]!;
    assert.equal(first.event.case === 'admission' && first.event.value.images[0]!.reasons[0]!.evidence.length, 12);

    await waitIndexed(published);
  });

  it('reduces a single verdict event over the limit, counting the evidence it drops', async () => {
    const ev = verdictEvent(1);
    assert.ok(ev.event.case === 'verdictChange');
    ev.event.value.reasons[0]!.evidence = evidence(3000);
    ev.event.value.reasons[0]!.evidenceOmitted = 5;
    await assert.rejects(publishEvent(bus.js, Topics.auditPolicy, ev, { timeoutMs: 2000 }), 'the premise: refused as it is');

    const reduced: string[] = [];
    await publishAuditEvent(bus.js, Topics.auditPolicy, ev, { timeoutMs: 2000, onReduced: (e) => reduced.push(e.meta!.id) });
    assert.deepEqual(reduced, [ev.meta!.id]);

    const stored = (await storedOn(Topics.auditPolicy.subject)).map((d) => fromBinary(AuditEventSchema, d));
    const got = stored.find((e) => e.meta?.id === ev.meta!.id);
    assert.ok(got?.event.case === 'verdictChange');
    const reason = got.event.value.reasons[0]!;
    assert.ok(reason.evidence.length > 0 && reason.evidence.length < 3000, `kept ${reason.evidence.length} findings`);
    assert.equal(reason.evidence.length + reason.evidenceOmitted, 3005, 'every dropped finding counted');
    assert.equal(reason.evidence[0]!.item, 'CVE-2024-10000', 'the first (most severe) findings kept');

    await waitIndexed([ev.meta!.id]);
    const doc = await docOf(ev.meta!.id);
    assert.equal(doc.assay.reasons[0].evidence_omitted, reason.evidenceOmitted);
  });

  it('reduces a policy change whose documents are over the limit, marking the cut', async () => {
    const ev = policyEvent(7);
    assert.ok(ev.event.case === 'policyChange');
    const after = JSON.stringify({ allow: Array.from({ length: 4000 }, (_, i) => `registry.example/team/app-${i}`) });
    ev.event.value.afterJson = after;
    await publishAuditEvent(bus.js, Topics.auditPolicy, ev, { timeoutMs: 2000 });
    await waitIndexed([ev.meta!.id]);
    const doc = await docOf(ev.meta!.id);
    const kept: string = doc.assay.policy.after;
    assert.ok(kept.length < after.length && after.startsWith(kept.slice(0, 1000)));
    const m = /… \[truncated: (\d+) bytes omitted\]$/.exec(kept);
    assert.ok(m, 'the cut is marked');
    assert.equal(Number(m[1]) + kept.length - m[0].length, after.length, 'with the bytes it dropped');
  });

  it('reduces an oversized event inside a batch and says in the decision what it left out', async () => {
    const big = admissionEvent(9, { allowed: false });
    assert.ok(big.event.case === 'admission');
    const image = big.event.value.images[0]!;
    big.event.value.images = Array.from({ length: 400 }, (_, i) => ({ ...image, reference: `127.0.0.1:5000/app/web-${i}:v1` }));
    const small = mediumDecision(10);
    const batch = create(AuditBatchSchema, { meta: { id: 'batch-with-a-giant' }, events: [small, big] });
    await assert.rejects(publishEvent(bus.js, Topics.auditAdmissionBatch, batch, { timeoutMs: 2000 }), 'the premise: refused as it is');
    const acks = await publishAuditBatch(bus.js, Topics.auditAdmissionBatch, batch, { timeoutMs: 2000 });
    assert.ok(acks.length >= 1);
    await waitIndexed([small.meta!.id, big.meta!.id]);
    const doc = await docOf(big.meta!.id);
    const message = JSON.stringify(doc);
    const m = /audit record reduced to fit a message: (\d+) images omitted/.exec(message);
    assert.ok(m, 'the decision says images were left out');
    assert.ok(Number(m[1]) > 0 && Number(m[1]) < 400);
    assert.ok(!message.includes(REDUCED_RECORD_CONTROL), 'a decision carries the note in its message, not as a reason');
  });
});
