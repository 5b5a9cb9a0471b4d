// Verdict audit events published in batches (AuditBatch on assay.audit.policy.batch), against a
// real nats-server: a caller's promise settles with the publish of the batch holding its event,
// a full batch leaves at once, a partial one after the linger or at stop, a failed publish
// rejects every caller of its batch, and a batch published again is stored once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, provisionTopology, type BusConnection } from '@assay/bus';
import { AuditEventSchema, Compliance, FullTopology, Streams, Topics, type AuditEvent } from '@assay/proto';
import { AuditBatches, auditBatchId } from '../../services/policy/src/audit-batches.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { policyAuditEvents, policyEventsOf } from './audit-events.ts';

const verdictEvent = (i: number): AuditEvent =>
  create(AuditEventSchema, {
    meta: newEventMeta('policy'),
    event: {
      case: 'verdictChange',
      value: { image: { digest: `sha256:${i.toString(16).padStart(64, '0')}` }, compliance: Compliance.NON_COMPLIANT },
    },
  });

describe('verdict audit batches', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url });
    await provisionTopology(await bus.jetstreamManager(), FullTopology, { replicas: 1 });
  });
  after(async () => {
    await bus?.close();
    await nats?.close();
  });

  /** The batch messages stored since `fromSeq`, each as the ids of its events. */
  async function storedBatches(fromSeq: number): Promise<string[][]> {
    const jsm = await bus.jetstreamManager();
    const info = await jsm.streams.info(Streams.audit.name);
    const out: string[][] = [];
    for (let seq = Math.max(fromSeq, info.state.first_seq); seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq });
      if (m.subject === Topics.auditPolicyBatch.subject) out.push(policyEventsOf(m).map((e) => e.meta!.id));
    }
    return out;
  }
  const lastSeq = async () => (await (await bus.jetstreamManager()).streams.info(Streams.audit.name)).state.last_seq;

  it('a full batch leaves at once, the rest after the linger; each caller resolves once its batch is stored', async () => {
    const from = (await lastSeq()) + 1;
    const batches = new AuditBatches({ js: bus.js, producer: 'policy', maxEvents: 4, lingerMs: 300 });
    const events = Array.from({ length: 6 }, (_, i) => verdictEvent(i));
    const settled: number[] = [];
    const started = Date.now();
    const adds = events.map((e, i) => batches.add(e).then(() => settled.push(i)));
    await Promise.all(adds.slice(0, 4));
    assert.deepEqual(await storedBatches(from), [events.slice(0, 4).map((e) => e.meta!.id)], 'stored before its callers resolved');
    assert.equal(batches.waiting, 2);
    await Promise.all(adds);
    assert.ok(Date.now() - started >= 290, 'the partial batch waited for the linger');
    assert.deepEqual(settled.sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await storedBatches(from), [events.slice(0, 4).map((e) => e.meta!.id), events.slice(4).map((e) => e.meta!.id)]);
    // Read as policy audit events, the batches' events come in order, each once.
    const all = (await policyAuditEvents(await bus.jetstreamManager())).map((e) => e.meta!.id);
    assert.deepEqual(
      all.slice(-6),
      events.map((e) => e.meta!.id),
    );
    await batches.stop();
  });

  it('stop publishes what is waiting; an event added after stop leaves at once', async () => {
    const from = (await lastSeq()) + 1;
    const batches = new AuditBatches({ js: bus.js, producer: 'policy', lingerMs: 60_000 });
    const events = [verdictEvent(10), verdictEvent(11)];
    const adds = events.map((e) => batches.add(e));
    await batches.stop();
    await Promise.all(adds);
    const late = verdictEvent(12);
    await batches.add(late);
    assert.deepEqual(await storedBatches(from), [events.map((e) => e.meta!.id), [late.meta!.id]]);
  });

  it('the same events batched again are the same message: stored once', async () => {
    const from = (await lastSeq()) + 1;
    const events = [verdictEvent(20), verdictEvent(21), verdictEvent(22)];
    for (let attempt = 0; attempt < 2; attempt++) {
      const batches = new AuditBatches({ js: bus.js, producer: 'policy', maxEvents: 3 });
      await Promise.all(events.map((e) => batches.add(e)));
    }
    assert.deepEqual(await storedBatches(from), [events.map((e) => e.meta!.id)]);
    assert.equal(auditBatchId(events), auditBatchId(events.map((e) => create(AuditEventSchema, e))));
    assert.notEqual(auditBatchId(events), auditBatchId(events.slice(0, 2)));
  });

  it('a failed publish rejects every caller of its batch', async () => {
    // A server without the audit stream: JetStream has nowhere to store the batch.
    const bare = await startNatsServer();
    const other = await connectBus({ servers: bare.url });
    try {
      const batches = new AuditBatches({ js: other.js, producer: 'policy', maxEvents: 2 });
      const results = await Promise.allSettled([batches.add(verdictEvent(30)), batches.add(verdictEvent(31))]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected'],
      );
      await batches.stop();
    } finally {
      await other.close();
      await bare.close();
    }
  });
});
