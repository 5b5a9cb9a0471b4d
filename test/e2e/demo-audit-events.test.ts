// The demo's audit event count against a real nats-server: an AuditBatch message counts as the
// events it carries, any other audit message as one; only what arrives after the tally starts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { connectBus, provisionTopology, type BusConnection } from '@assay/bus';
import { AdmissionDecisionSchema, AuditBatchSchema, AuditEventSchema, FullTopology, Streams, Topics, type AuditEvent } from '@assay/proto';
import { AuditStreamTally } from '../../scripts/demo/audit-events.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';

const decision = (uid: string): AuditEvent =>
  create(AuditEventSchema, { event: { case: 'admission', value: create(AdmissionDecisionSchema, { uid, allowed: uid !== 'ghost' }) } });

describe('demo: audit events counted from ASSAY_AUDIT', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url });
    await provisionTopology(await bus.jetstreamManager(), FullTopology, { replicas: 1 });
  });
  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('counts events, not messages, and only those published after it started', async () => {
    const js = bus.js;
    // Before the run: not counted.
    await js.publish(Topics.auditPolicy.subject, toBinary(AuditEventSchema, create(AuditEventSchema, {})));
    const tally = await AuditStreamTally.fromNow(await bus.jetstreamManager(), Streams.audit.name);

    const batch = create(AuditBatchSchema, { events: [decision('demo'), decision('clean'), decision('ghost')] });
    await js.publish(Topics.auditAdmissionBatch.subject, toBinary(AuditBatchSchema, batch));
    await js.publish(
      Topics.auditScan.subject,
      toBinary(AuditEventSchema, create(AuditEventSchema, { event: { case: 'scan', value: {} } })),
    );
    let t = await tally.update();
    assert.equal(t.messages, 2);
    assert.equal(t.events, 4);
    assert.deepEqual(t.byKind, { admission: 3, scan: 1 });
    assert.deepEqual([...t.admissionUids].sort(), ['clean', 'demo', 'ghost']);

    // Later messages add to the tally; read ones are not counted twice.
    await js.publish(
      Topics.auditPolicy.subject,
      toBinary(AuditEventSchema, create(AuditEventSchema, { event: { case: 'verdictChange', value: {} } })),
    );
    await js.publish(Topics.auditAdmissionBatch.subject, new Uint8Array([0xff, 0xff, 0xff]));
    t = await tally.update();
    assert.equal(t.messages, 4);
    assert.equal(t.events, 6, 'an unreadable message still counts as one');
    assert.deepEqual(t.byKind, { admission: 3, scan: 1, verdictChange: 1, unknown: 1 });
    assert.equal((await tally.update()).events, 6);
  });
});
