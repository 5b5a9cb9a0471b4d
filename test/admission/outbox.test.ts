// The outbox holds events while publishing fails, publishes them when it can, and refuses
// (counting, logging) what does not fit instead of dropping anything silently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { AuditBatcher, eventsIn, Outbox, type OutboundEvent } from '@assay/admission';
import { AuditEventSchema, Topics } from '@assay/proto';

function logger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, warn: at('warn'), error: at('error'), info: at('info') };
}

describe('admission: outbox', () => {
  it('holds events while disconnected, refuses beyond capacity, and flushes on reconnect', async () => {
    let connected = false;
    const published: number[] = [];
    const dropped: number[] = [];
    const log = logger();
    const box = new Outbox<number>({
      capacity: 5,
      isConnected: () => connected,
      publish: async (n) => void published.push(n),
      onDropped: (n) => dropped.push(n),
      logger: log,
    });
    for (let i = 0; i < 7; i++) box.push(i);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(box.size, 5);
    assert.deepEqual(dropped, [5, 6]);
    assert.equal(box.dropped, 2);
    assert.ok(log.lines.some((l) => l.level === 'error' && /outbox full/.test(l.msg)));
    assert.deepEqual(published, []);
    connected = true;
    box.flush();
    await box.idle();
    assert.deepEqual(published, [0, 1, 2, 3, 4]);
  });

  it('keeps events whose publish failed and retries them', async () => {
    let fail = true;
    const published: number[] = [];
    const box = new Outbox<number>({
      capacity: 100,
      isConnected: () => true,
      publish: async (n) => {
        if (fail) throw new Error('no responders');
        published.push(n);
      },
      logger: logger(),
    });
    box.push(1);
    box.push(2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(box.size, 2);
    fail = false;
    await box.idle();
    assert.deepEqual(published.sort(), [1, 2]);
    assert.equal(await box.stop(100), 0);
  });

  it('counts a batch as its events: capacity, size, published and dropped are events', async () => {
    let connected = false;
    const box = new Outbox<number[]>({
      capacity: 10,
      isConnected: () => connected,
      publish: async () => {},
      weight: (b) => b.length,
      logger: logger(),
    });
    assert.equal(box.push([1, 2, 3, 4]), true);
    assert.equal(box.push([5, 6, 7, 8, 9, 10]), true);
    assert.equal(box.size, 10);
    assert.equal(box.push([11]), false, 'one event more than the capacity');
    assert.equal(box.dropped, 1);
    connected = true;
    box.flush();
    await box.idle();
    assert.deepEqual([box.size, box.published], [0, 10]);
  });
});

describe('admission: audit batches', () => {
  const event = (i: number) => create(AuditEventSchema, { meta: { id: `ev-${i}` } });
  function setup(maxEvents: number, lingerMs: number) {
    const sent: OutboundEvent[] = [];
    const outbox = new Outbox<OutboundEvent>({
      capacity: 1000,
      isConnected: () => true,
      publish: async (e) => void sent.push(e),
      weight: eventsIn,
      logger: logger(),
    });
    return { sent, outbox, batcher: new AuditBatcher({ outbox, producer: 'admission', maxEvents, lingerMs }) };
  }

  it('a full batch leaves at once; a partial one after the linger; every event once, in order', async () => {
    const { sent, outbox, batcher } = setup(3, 40);
    for (let i = 0; i < 7; i++) batcher.add(event(i));
    await outbox.idle();
    assert.deepEqual(
      sent.map((e) => e.kind === 'audit' && e.message.events.length),
      [3, 3],
      'two full batches, no waiting',
    );
    assert.equal(batcher.pending, 1);
    await new Promise((r) => setTimeout(r, 80));
    await outbox.idle();
    assert.equal(sent.length, 3, 'the rest after the linger');
    const ids = sent.flatMap((e) => (e.kind === 'audit' ? e.message.events.map((x) => x.meta!.id) : []));
    assert.deepEqual(ids, ['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5', 'ev-6']);
    assert.ok(sent.every((e) => e.topic === Topics.auditAdmissionBatch));
    assert.equal(new Set(sent.map((e) => e.message.meta!.id)).size, 3, 'each batch its own id (its Nats-Msg-Id)');
  });

  it('flush hands over what waits (shutdown); a linger of 0 publishes each decision alone', async () => {
    const a = setup(100, 10_000);
    a.batcher.add(event(1));
    a.batcher.add(event(2));
    a.batcher.flush();
    await a.outbox.idle();
    assert.equal(a.sent.length, 1);
    assert.equal(a.batcher.pending, 0);
    const b = setup(100, 0);
    b.batcher.add(event(1));
    b.batcher.add(event(2));
    await b.outbox.idle();
    assert.equal(b.sent.length, 2);
  });
});
