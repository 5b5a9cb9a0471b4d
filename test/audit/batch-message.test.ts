// expandAuditBatch on its own: an AuditBatch message becomes one part per event, each carrying
// that event's bytes, and the real message is settled only once every part is (nak wins).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { eventHeaders, HEADER_ASSAY_TYPE, newEventMeta } from '@assay/bus';
import { AuditBatchSchema, AuditEventSchema, Topics } from '@assay/proto';
import { deadLetterMsgId, expandAuditBatch, partIndex, prepareAuditMessage } from '@assay/audit';
import type { JsMsg } from 'nats';
import { admissionEvent } from './helpers.ts';

/** A stand-in for a delivered message that records how it was settled. */
function fakeMsg(subject: string, data: Uint8Array, type?: string) {
  const calls: string[] = [];
  const m = {
    subject,
    seq: 42,
    sid: 1,
    redelivered: false,
    info: { deliveryCount: 1, timestampNanos: Date.now() * 1e6 },
    headers: type ? eventHeaders({ typeName: type } as never, 'batch-1') : undefined,
    data,
    ack: () => calls.push('ack'),
    nak: (ms?: number) => calls.push(ms === undefined ? 'nak' : `nak ${ms}`),
    term: () => calls.push('term'),
    working: () => calls.push('working'),
  } as unknown as JsMsg;
  return { m, calls };
}

function batchMsg(n: number) {
  const events = Array.from({ length: n }, (_, i) => admissionEvent(i));
  const data = toBinary(AuditBatchSchema, create(AuditBatchSchema, { meta: newEventMeta('admission'), events }));
  return { events, ...fakeMsg(Topics.auditAdmissionBatch.subject, data, AuditBatchSchema.typeName) };
}

describe('expandAuditBatch', () => {
  it('gives one part per event, with that event bytes, typed as AuditEvent', () => {
    const { m, events, calls } = batchMsg(3);
    const parts = expandAuditBatch(m);
    assert.equal(parts.length, 3);
    parts.forEach((p, i) => {
      assert.equal(partIndex(p), i);
      assert.equal(p.seq, 42);
      assert.equal(p.subject, Topics.auditAdmissionBatch.subject);
      assert.equal(fromBinary(AuditEventSchema, p.data).meta!.id, events[i]!.meta!.id);
      assert.deepEqual(p.data, toBinary(AuditEventSchema, events[i]!));
      assert.equal(p.headers?.get(HEADER_ASSAY_TYPE), AuditEventSchema.typeName);
      const prepared = prepareAuditMessage(p, 'ASSAY_AUDIT').item;
      assert.ok('id' in prepared, JSON.stringify(prepared));
      assert.equal(prepared.id, events[i]!.meta!.id);
    });
    assert.deepEqual(new Set(parts.map((p) => deadLetterMsgId('c', p))), new Set(['dl-c-42-0', 'dl-c-42-1', 'dl-c-42-2']));
    assert.deepEqual(calls, []);
  });

  it('acks the message only once every part is acked or terminated', () => {
    const { m, calls } = batchMsg(3);
    const [a, b, c] = expandAuditBatch(m);
    a!.ack();
    a!.ack(); // a second settlement of a part counts once
    assert.deepEqual(calls, []);
    b!.term();
    assert.deepEqual(calls, []);
    c!.ack();
    assert.deepEqual(calls, ['ack']);
  });

  it('naks the message, with the largest delay asked, if any part was nak’ed', () => {
    const { m, calls } = batchMsg(4);
    const [a, b, c, d] = expandAuditBatch(m);
    b!.nak(500);
    a!.ack();
    d!.nak(5_000);
    assert.deepEqual(calls, []);
    c!.term();
    assert.deepEqual(calls, ['nak 5000']);
  });

  it('naks without delay when no part asked for one', () => {
    const { m, calls } = batchMsg(2);
    const [a, b] = expandAuditBatch(m);
    a!.nak();
    b!.ack();
    assert.deepEqual(calls, ['nak']);
  });

  it('forwards working() to the message while parts are open', () => {
    const { m, calls } = batchMsg(2);
    const [a, b] = expandAuditBatch(m);
    a!.working();
    b!.working(); // the same tick: once is enough
    assert.deepEqual(calls, ['working']);
    a!.ack();
    b!.ack();
    assert.deepEqual(calls, ['working', 'ack']);
  });

  it('acks an empty batch at once', () => {
    const { m, calls } = batchMsg(0);
    assert.deepEqual(expandAuditBatch(m), []);
    assert.deepEqual(calls, ['ack']);
  });

  it('passes other messages through untouched', () => {
    const ev = toBinary(AuditEventSchema, admissionEvent(1));
    const typed = fakeMsg(Topics.auditAdmission.subject, ev, AuditEventSchema.typeName);
    assert.deepEqual(expandAuditBatch(typed.m), [typed.m]);
    // An AuditEvent on the batch subject (typed by its header) is not a batch.
    const onBatchSubject = fakeMsg(Topics.auditAdmissionBatch.subject, ev, AuditEventSchema.typeName);
    assert.deepEqual(expandAuditBatch(onBatchSubject.m), [onBatchSubject.m]);
    const untyped = fakeMsg(Topics.auditScan.subject, ev);
    assert.deepEqual(expandAuditBatch(untyped.m), [untyped.m]);
    assert.equal(partIndex(typed.m), undefined);
    assert.equal(deadLetterMsgId('c', typed.m), 'dl-c-42');
    assert.deepEqual([...typed.calls, ...onBatchSubject.calls, ...untyped.calls], []);
  });

  it('recognises a batch by its subject when it has no type header', () => {
    const events = [admissionEvent(1), admissionEvent(2)];
    const data = toBinary(AuditBatchSchema, create(AuditBatchSchema, { meta: newEventMeta('admission'), events }));
    const { m } = fakeMsg(Topics.auditAdmissionBatch.subject, data);
    assert.deepEqual(
      expandAuditBatch(m).map((p) => fromBinary(AuditEventSchema, p.data).meta!.id),
      events.map((e) => e.meta!.id),
    );
  });

  it('leaves an undecodable batch whole, so that it is dead-lettered as it came', () => {
    const { m, calls } = fakeMsg(Topics.auditAdmissionBatch.subject, new Uint8Array([0xff, 0xff, 0xff]), AuditBatchSchema.typeName);
    assert.deepEqual(expandAuditBatch(m), [m]);
    assert.deepEqual(calls, []);
    assert.ok('error' in prepareAuditMessage(m, 'ASSAY_AUDIT').item);
  });
});
