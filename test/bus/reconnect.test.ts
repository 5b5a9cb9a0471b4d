// A real nats-server stopped and started again on the same port and store: the consumer keeps
// consuming, and a KV mirror keeps serving during the outage and catches up afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageDiscoveredSchema } from '@assay/proto';
import { connectBus, consumeDurable, mirrorBucket, provisionTopology, publishEvent } from '@assay/bus';
import { startNatsServer } from '../support/nats-server.ts';
import { discovered, eventually, memoryLogger, testTopology } from './helpers.ts';

const enc = new TextEncoder();

test('consumer and KV mirror survive a server restart', async () => {
  const server = await startNatsServer();
  const logger = memoryLogger();
  const bus = await connectBus({ servers: server.url, name: 'restart-test', reconnectTimeWaitMs: 250, reconnectJitterMs: 100, logger });
  try {
    const t = testTopology('restart');
    await provisionTopology(await bus.jetstreamManager(), {
      ...t,
      buckets: [{ name: 'restart', history: 1, description: 'restart test' }],
    });
    const handled = new Set<string>();
    const consumer = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      logger,
      handler: (m) => void handled.add(m.image!.digest),
    });
    const kv = await bus.js.views.kv('restart', { bindOnly: true });
    await kv.put('keep', enc.encode('1'));
    await kv.put('gone-later', enc.encode('2'));
    const mirror = await mirrorBucket({
      js: bus.js,
      connection: bus,
      bucket: 'restart',
      decode: (b) => new TextDecoder().decode(b),
      logger,
    });
    await mirror.synced;

    const before = [discovered(), discovered(), discovered()];
    for (const e of before) await publishEvent(bus.js, t.topic, e);
    await eventually('messages before the restart handled', () => before.every((e) => handled.has(e.image!.digest)));

    await server.stop();
    await eventually('the client noticed the outage', () => !bus.isConnected());
    // During the outage the mirror answers from memory.
    assert.equal(mirror.get('keep'), '1');
    assert.equal(mirror.get('gone-later'), '2');
    assert.equal(mirror.isSynced(), true);
    await eventually('the mirror knows it is not live', () => !mirror.isLive(), 5000);

    await server.start();
    await eventually('reconnected', () => bus.isConnected(), 20_000);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /disconnected/.test(l.msg ?? '')));
    assert.ok(logger.lines.some((l) => l.level === 'info' && /reconnected/.test(l.msg ?? '')));

    // JetStream may need a moment after a restart; retrying the same event is safe (same id).
    const afterRestart = [discovered(), discovered(), discovered()];
    for (const e of afterRestart) {
      await eventually(
        'publish after the restart',
        async () => {
          await publishEvent(bus.js, t.topic, e);
          return true;
        },
        20_000,
        250,
      );
    }
    await eventually('messages after the restart handled', () => afterRestart.every((e) => handled.has(e.image!.digest)), 30_000);

    await eventually(
      'KV writes after the restart',
      async () => {
        await kv.put('new', enc.encode('3'));
        await kv.delete('gone-later');
        return true;
      },
      20_000,
      250,
    );
    await eventually('the mirror caught up', () => mirror.get('new') === '3' && !mirror.has('gone-later') && mirror.isLive(), 30_000);
    assert.equal(mirror.get('keep'), '1');

    const jsm = await bus.jetstreamManager();
    await eventually('everything acked', async () => {
      const s = await jsm.consumers.info(t.consumer.stream, t.consumer.durable);
      return s.num_ack_pending === 0 && s.num_pending === 0;
    });
    assert.equal(handled.size, 6);
    assert.equal(consumer.inFlight(), 0);
  } finally {
    await bus.close();
    await server.close();
  }
});
