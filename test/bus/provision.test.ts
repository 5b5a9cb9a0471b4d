// provisionTopology against a real nats-server: idempotent, safe to run from two services at
// once, and updates what changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nanos } from 'nats';
import { Buckets, Consumers, FullTopology, Streams } from '@assay/proto';
import { type BusConnection, connectBus, provisionTopology } from '@assay/bus';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { testTopology } from './helpers.ts';

describe('provisionTopology', () => {
  let server: NatsServer;
  let bus: BusConnection;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: 'provision-test' });
  });
  after(async () => {
    await bus?.close();
    await server?.close();
  });

  test('creates the full topology, then finds it unchanged', async () => {
    const jsm = await bus.jetstreamManager();
    const first = await provisionTopology(jsm, FullTopology);
    assert.deepEqual(new Set(Object.values(first.streams)), new Set(['created']));
    assert.deepEqual(new Set(Object.values(first.consumers)), new Set(['created']));
    assert.deepEqual(new Set(Object.values(first.buckets)), new Set(['created']));
    assert.equal(Object.keys(first.streams).length, Object.keys(Streams).length);
    assert.equal(Object.keys(first.consumers).length, Object.keys(Consumers).length);

    const second = await provisionTopology(jsm, FullTopology);
    for (const group of [second.streams, second.consumers, second.buckets]) {
      for (const [name, action] of Object.entries(group)) assert.equal(action, 'unchanged', name);
    }

    const images = await jsm.streams.info(Streams.images.name);
    assert.equal(images.config.storage, 'file');
    assert.deepEqual(images.config.subjects, [...Streams.images.subjects]);
    assert.equal(images.config.max_age, nanos(Streams.images.maxAgeSeconds * 1000));
    assert.equal(images.config.duplicate_window, nanos(120_000));
    assert.equal(images.config.num_replicas, 1);

    const c = await jsm.consumers.info(Consumers.policyScans.stream, Consumers.policyScans.durable);
    assert.equal(c.config.ack_policy, 'explicit');
    assert.equal(c.config.max_deliver, -1);
    assert.equal(c.config.filter_subject, Consumers.policyScans.filterSubject);
    assert.equal(c.config.ack_wait, nanos(30_000));
    assert.equal(c.config.durable_name, Consumers.policyScans.durable);

    const kv = await jsm.streams.info(`KV_${Buckets.verdicts.name}`);
    assert.equal(kv.config.max_msgs_per_subject, Buckets.verdicts.history);
    assert.equal(kv.config.storage, 'file');
    const tags = await jsm.streams.info(`KV_${Buckets.tags.name}`);
    assert.equal(tags.config.max_msgs_per_subject, Buckets.tags.history);
  });

  test('updates a stream, a consumer and a bucket whose spec changed', async () => {
    const jsm = await bus.jetstreamManager();
    const t = testTopology('upd');
    const bucket = { name: 'upd', history: 2, description: 'bucket v1' };
    await provisionTopology(jsm, { ...t, buckets: [bucket] });

    const changed = {
      streams: [{ ...t.stream, maxAgeSeconds: 7200, subjects: [...t.stream.subjects, 'u.extra.>'] }],
      consumers: [{ ...t.consumer, ackWaitMs: 4000, backoffMs: [4000, 8000] }],
      buckets: [{ ...bucket, history: 7, description: 'bucket v2' }],
    };
    const report = await provisionTopology(jsm, changed);
    assert.equal(report.streams[t.stream.name], 'updated');
    assert.equal(report.consumers[`${t.stream.name}/${t.consumer.durable}`], 'updated');
    assert.equal(report.buckets.upd, 'updated');

    const s = await jsm.streams.info(t.stream.name);
    assert.equal(s.config.max_age, nanos(7200 * 1000));
    assert.deepEqual(new Set(s.config.subjects), new Set(['t.upd.>', 'u.extra.>']));
    const c = await jsm.consumers.info(t.stream.name, t.consumer.durable);
    assert.deepEqual(c.config.backoff, [nanos(4000), nanos(8000)]);
    assert.equal(c.config.ack_wait, nanos(4000));
    const b = await jsm.streams.info('KV_upd');
    assert.equal(b.config.max_msgs_per_subject, 7);
    assert.equal(b.config.description, 'bucket v2');

    const again = await provisionTopology(jsm, changed);
    assert.equal(again.streams[t.stream.name], 'unchanged');
    assert.equal(again.consumers[`${t.stream.name}/${t.consumer.durable}`], 'unchanged');
    assert.equal(again.buckets.upd, 'unchanged');
  });

  test('a bucket with a maximum age: created with it, converged when it changes, and its entries expire', async () => {
    const jsm = await bus.jetstreamManager();
    const spec = { name: 'aged', history: 1, description: 'aged bucket', maxAgeSeconds: 3600 };
    assert.equal((await provisionTopology(jsm, { streams: [], consumers: [], buckets: [spec] })).buckets.aged, 'created');
    assert.equal((await jsm.streams.info('KV_aged')).config.max_age, nanos(3600 * 1000));
    assert.equal((await provisionTopology(jsm, { streams: [], consumers: [], buckets: [spec] })).buckets.aged, 'unchanged');
    const short = { ...spec, maxAgeSeconds: 1 };
    assert.equal((await provisionTopology(jsm, { streams: [], consumers: [], buckets: [short] })).buckets.aged, 'updated');
    const kv = await bus.js.views.kv('aged', { bindOnly: true });
    await kv.put('k', new TextEncoder().encode('v'));
    assert.equal((await kv.get('k'))?.string(), 'v');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await kv.get('k'), null, 'gone after the maximum age');
    // Without a maximum age again: kept.
    assert.equal(
      (await provisionTopology(jsm, { streams: [], consumers: [], buckets: [{ ...spec, maxAgeSeconds: undefined }] })).buckets.aged,
      'updated',
    );
    assert.equal((await jsm.streams.info('KV_aged')).config.max_age, 0);
  });

  test('fails clearly when a replica count cannot be met', async () => {
    const jsm = await bus.jetstreamManager();
    const t = testTopology('r3single');
    await assert.rejects(provisionTopology(jsm, t, { replicas: 3 }), (err: Error) => {
      assert.match(err.message, /provisioning stream T_R3SINGLE/);
      return true;
    });
  });
});

test('two services provisioning the same topology at once both succeed', async () => {
  const server = await startNatsServer();
  const buses: BusConnection[] = [];
  try {
    for (let i = 0; i < 3; i++) buses.push(await connectBus({ servers: server.url, name: `svc-${i}` }));
    const jsms = await Promise.all(buses.map((b) => b.jetstreamManager()));
    const reports = await Promise.all(jsms.map((jsm) => provisionTopology(jsm, FullTopology)));
    // Every run reports an outcome for everything (the server accepts an identical re-create,
    // so several may say 'created'); none failed.
    for (const r of reports) {
      assert.equal(Object.keys(r.streams).length, Object.keys(Streams).length);
      assert.equal(Object.keys(r.consumers).length, Object.keys(Consumers).length);
      assert.equal(Object.keys(r.buckets).length, Object.keys(Buckets).length);
    }
    const jsm = jsms[0]!;
    const streams: string[] = [];
    for await (const s of jsm.streams.list()) streams.push(s.config.name);
    for (const s of Object.values(Streams)) assert.ok(streams.includes(s.name), s.name);
    for (const c of Object.values(Consumers)) {
      const info = await jsm.consumers.info(c.stream, c.durable);
      assert.equal(info.config.filter_subject, c.filterSubject);
    }
    // And a later run finds nothing to do.
    const later = await provisionTopology(jsm, FullTopology);
    assert.ok(Object.values(later.streams).every((a) => a === 'unchanged'));
    assert.ok(Object.values(later.consumers).every((a) => a === 'unchanged'));
    assert.ok(Object.values(later.buckets).every((a) => a === 'unchanged'));
  } finally {
    for (const b of buses) await b.close();
    await server.close();
  }
});
