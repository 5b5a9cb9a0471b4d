// Typed publishing: headers, de-duplication by event id, and core (unstored) messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ImageDiscoveredSchema, ScanProgressSchema, ScanProgressTopic } from '@assay/proto';
import {
  type BusConnection,
  connectBus,
  CONTENT_TYPE_PROTOBUF,
  newEventMeta,
  provisionTopology,
  publishCore,
  publishEvent,
  subscribeCore,
} from '@assay/bus';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { discovered, eventually, testTopology } from './helpers.ts';

describe('publishEvent', () => {
  let server: NatsServer;
  let bus: BusConnection;
  const t = testTopology('pub');
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url });
    await provisionTopology(await bus.jetstreamManager(), t);
  });
  after(async () => {
    await bus?.close();
    await server?.close();
  });

  test('the same event published twice within the window is stored once', async () => {
    const jsm = await bus.jetstreamManager();
    const before = (await jsm.streams.info(t.stream.name)).state.messages;
    const event = discovered();
    const first = await publishEvent(bus.js, t.topic, event);
    const second = await publishEvent(bus.js, t.topic, event);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    assert.equal(first.stream, t.stream.name);
    // A different event with the same content but its own id is a new message.
    const third = await publishEvent(bus.js, t.topic, { ...event, meta: newEventMeta('test') });
    assert.equal(third.duplicate, false);
    assert.equal(third.seq, first.seq + 1);
    assert.equal((await jsm.streams.info(t.stream.name)).state.messages, before + 2);
  });

  test('stores the protobuf bytes with id, content type and message type headers', async () => {
    const event = discovered();
    const ack = await publishEvent(bus.js, t.topic, event);
    const jsm = await bus.jetstreamManager();
    const stored = await jsm.streams.getMessage(t.stream.name, { seq: ack.seq });
    assert.equal(stored.subject, t.topic.subject);
    assert.equal(stored.header.get('Nats-Msg-Id'), event.meta!.id);
    assert.equal(stored.header.get('Content-Type'), CONTENT_TYPE_PROTOBUF);
    assert.equal(stored.header.get('Assay-Type'), 'assay.v1.ImageDiscovered');
    assert.deepEqual(stored.data, toBinary(ImageDiscoveredSchema, event));
    const decoded = fromBinary(ImageDiscoveredSchema, stored.data);
    assert.equal(decoded.image?.digest, event.image?.digest);
    assert.equal(decoded.meta?.producer, 'test');
    assert.match(decoded.meta?.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(decoded.meta?.time && decoded.meta.time.seconds > 0n);
  });

  test('refuses an event without meta.id, and a subject outside the expected stream', async () => {
    const noMeta = create(ImageDiscoveredSchema, { image: { digest: 'sha256:00' } });
    await assert.rejects(publishEvent(bus.js, t.topic, noMeta), /has no meta\.id/);
    await assert.rejects(publishEvent(bus.js, t.topic, discovered(), { expectStream: 'ASSAY_IMAGES' }));
  });

  test('newEventMeta carries the producer and the causing event', () => {
    const cause = newEventMeta('registry-watcher');
    const meta = newEventMeta('scanner', cause.id);
    assert.equal(meta.producer, 'scanner');
    assert.equal(meta.causationId, cause.id);
    assert.notEqual(meta.id, cause.id);
  });

  test('core publish reaches a typed subscriber with the same headers', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const topic = ScanProgressTopic.forDigest(digest);
    const got: Array<{ stage: string; type: string; id: string }> = [];
    const sub = subscribeCore(bus.nc, { subject: `${ScanProgressTopic.prefix}.>`, schema: ScanProgressSchema }, (m, msg) => {
      got.push({ stage: m.stage, type: msg.headers?.get('Assay-Type') ?? '', id: msg.headers?.get('Nats-Msg-Id') ?? '' });
    });
    try {
      await bus.nc.flush();
      const progress = create(ScanProgressSchema, {
        meta: newEventMeta('scanner'),
        digest,
        stage: 'layers',
        layersDone: 1,
        layersTotal: 3,
      });
      publishCore(bus.nc, topic, progress);
      // Garbage on the same subject is dropped, not delivered.
      bus.nc.publish(topic.subject, new Uint8Array([0xff, 0xff, 0xff]));
      publishCore(bus.nc, topic, { ...progress, meta: newEventMeta('scanner'), stage: 'done' });
      await eventually('two progress messages', () => got.length === 2);
      assert.deepEqual(
        got.map((g) => g.stage),
        ['layers', 'done'],
      );
      assert.equal(got[0]!.type, 'assay.v1.ScanProgress');
      assert.equal(got[0]!.id, progress.meta!.id);
    } finally {
      sub.unsubscribe();
    }
  });
});
