// consumeDurable against a real nats-server: ack after the handler, redelivery when a consumer
// dies mid-handler, retries with backoff, dead-lettering, bounded concurrency, orderly stop.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type DeadLetter, DeadLetterSchema, deadLetterTopic, ImageDiscoveredSchema, Streams } from '@assay/proto';
import { type BusConnection, connectBus, consumeDurable, type Delivery, PermanentError, provisionTopology, publishEvent } from '@assay/bus';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { startProcess, waitFor } from '../support/processes.ts';
import { discovered, eventually, memoryLogger, sleep, type TestTopology, testTopology } from './helpers.ts';

describe('consumeDurable', () => {
  let server: NatsServer;
  let bus: BusConnection;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: 'consume-test' });
  });
  after(async () => {
    await bus?.close();
    await server?.close();
  });

  async function setup(name: string, consumer: Parameters<typeof testTopology>[1] = {}): Promise<TestTopology> {
    const t = testTopology(name, consumer);
    await provisionTopology(await bus.jetstreamManager(), t);
    return t;
  }

  async function consumerState(t: TestTopology) {
    const jsm = await bus.jetstreamManager();
    return jsm.consumers.info(t.consumer.stream, t.consumer.durable);
  }

  /** The dead letters recorded for `t`'s stream, oldest first. */
  async function deadLetters(t: TestTopology): Promise<DeadLetter[]> {
    const jsm = await bus.jetstreamManager();
    const subject = deadLetterTopic(t.stream.name).subject;
    const info = await jsm.streams.info(Streams.deadLetter.name, { subjects_filter: subject });
    const out: DeadLetter[] = [];
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      try {
        const m = await jsm.streams.getMessage(Streams.deadLetter.name, { seq });
        if (m.subject === subject) out.push(fromBinary(DeadLetterSchema, m.data));
      } catch {
        // deleted or another subject
      }
    }
    return out;
  }

  test('acks only after the handler resolves, once per message', async () => {
    const t = await setup('ack');
    const seen: number[] = [];
    let pendingWhileHandling = -1;
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      handler: async (m, d) => {
        assert.ok(m.image?.digest.startsWith('sha256:'));
        if (seen.length === 0) pendingWhileHandling = (await consumerState(t)).num_ack_pending;
        seen.push(d.streamSequence);
      },
    });
    try {
      for (let i = 0; i < 5; i++) await publishEvent(bus.js, t.topic, discovered());
      await eventually('5 messages handled and acked', async () => {
        const s = await consumerState(t);
        return seen.length >= 5 && s.num_ack_pending === 0 && s.ack_floor.stream_seq === 5;
      });
      assert.equal(pendingWhileHandling, 1, 'the first message was unacknowledged while its handler ran');
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
      );
    } finally {
      await handle.stop();
    }
  });

  test('a message whose consumer process dies mid-handler goes to another consumer', async () => {
    const t = await setup('crash', { ackWaitMs: 1000 });
    const child = startProcess(
      process.execPath,
      [join(import.meta.dirname, 'fixtures', 'hold-message.ts'), server.url, t.consumer.stream, t.consumer.durable],
      {
        cwd: join(import.meta.dirname, '..', '..'),
      },
    );
    const deliveries: Delivery[] = [];
    let handle: Awaited<ReturnType<typeof consumeDurable>> | undefined;
    try {
      await waitFor('child consumer ready', () => (child.output().includes('READY') ? true : undefined), {
        process: child,
        timeoutMs: 20_000,
      });
      const ack = await publishEvent(bus.js, t.topic, discovered());
      const line = await waitFor('child handling the message', () => /HANDLING (\d+) (\d+)/.exec(child.output()) ?? undefined, {
        process: child,
      });
      assert.equal(Number(line[1]), ack.seq);
      assert.equal(Number(line[2]), 1);

      // A second consumer on the same durable: while the child keeps working on the message
      // (it reports progress every ack_wait/2), the message is not redelivered.
      handle = await consumeDurable({
        js: bus.js,
        connection: bus,
        consumer: t.consumer,
        schema: ImageDiscoveredSchema,
        handler: (_m, d) => void deliveries.push(d),
      });
      await sleep(2500);
      assert.equal(deliveries.length, 0, 'redelivered although the first consumer was still working on it');
      assert.equal((await consumerState(t)).num_ack_pending, 1);

      await child.kill();
      await eventually('redelivery to the surviving consumer', () => deliveries.length > 0, 15_000);
      const d = deliveries[0]!;
      assert.equal(d.streamSequence, ack.seq);
      assert.ok(d.deliveryCount >= 2, `delivery count ${d.deliveryCount}`);
      assert.equal(d.msg.info.redelivered, true);
      assert.ok(d.msg.info.redeliveryCount > 0);
      await eventually('acked', async () => (await consumerState(t)).num_ack_pending === 0);
      // Exactly one successful handling: nothing comes back after the ack.
      await sleep(2500);
      assert.equal(deliveries.length, 1);
      const s = await consumerState(t);
      assert.equal(s.ack_floor.stream_seq, ack.seq);
      assert.equal(s.num_pending, 0);
    } finally {
      await child.kill();
      await handle?.stop();
    }
  });

  test('a failing handler is retried with backoff, then its message is acked', async () => {
    const t = await setup('retry');
    const times: number[] = [];
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      maxDeliveries: 5,
      backoffMs: [300, 600],
      handler: (_m, d) => {
        times.push(Date.now());
        if (d.deliveryCount < 3) throw new Error(`transient ${d.deliveryCount}`);
      },
    });
    try {
      await publishEvent(bus.js, t.topic, discovered());
      await eventually(
        'handled on the third delivery and acked',
        async () => times.length === 3 && (await consumerState(t)).num_ack_pending === 0,
      );
      // The server holds each nak'd message for the backoff of its delivery count.
      assert.ok(times[1]! - times[0]! >= 250, `first retry after ${times[1]! - times[0]!} ms`);
      assert.ok(times[2]! - times[1]! >= 550, `second retry after ${times[2]! - times[1]!} ms`);
      await sleep(1500);
      assert.equal(times.length, 3);
      assert.deepEqual(await deadLetters(t), []);
    } finally {
      await handle.stop();
    }
  });

  test('a handler that always fails: dead-lettered after maxDeliveries, then never redelivered', async () => {
    const t = await setup('poison', { ackWaitMs: 1000 });
    let calls = 0;
    const logger = memoryLogger();
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      maxDeliveries: 3,
      backoffMs: [100],
      logger,
      deadLetter: { producer: 'consume-test' },
      handler: () => {
        calls++;
        throw new Error('database on fire');
      },
    });
    try {
      const event = discovered();
      const ack = await publishEvent(bus.js, t.topic, event);
      await eventually('a dead letter', async () => (await deadLetters(t)).length === 1);
      const [dl] = await deadLetters(t);
      assert.equal(dl!.stream, t.stream.name);
      assert.equal(dl!.consumer, t.consumer.durable);
      assert.equal(dl!.subject, t.topic.subject);
      assert.equal(dl!.streamSequence, BigInt(ack.seq));
      assert.equal(dl!.deliveries, 3);
      assert.match(dl!.reason, /database on fire/);
      assert.deepEqual(dl!.data, toBinary(ImageDiscoveredSchema, event));
      assert.equal(dl!.headers['Nats-Msg-Id'], event.meta!.id);
      assert.equal(dl!.headers['Assay-Type'], 'assay.v1.ImageDiscovered');
      assert.equal(dl!.meta?.producer, 'consume-test');
      assert.equal(dl!.meta?.causationId, event.meta!.id);
      assert.ok(dl!.meta?.id);
      assert.equal(calls, 3);
      // Terminated: after several ack waits, no further delivery and nothing pending.
      await sleep(3000);
      assert.equal(calls, 3);
      const s = await consumerState(t);
      assert.equal(s.num_ack_pending, 0);
      assert.equal(s.num_redelivered, 0);
      assert.equal(s.num_pending, 0);
      assert.equal((await deadLetters(t)).length, 1);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.msg === 'message dead-lettered'));
    } finally {
      await handle.stop();
    }
  });

  test('bytes that do not decode are dead-lettered at once, without calling the handler', async () => {
    const t = await setup('garbage');
    let calls = 0;
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      maxDeliveries: 5,
      handler: () => void calls++,
    });
    try {
      const garbage = new TextEncoder().encode('this is not protobuf \u00ff\u00fe');
      assert.throws(() => fromBinary(ImageDiscoveredSchema, garbage), 'the test bytes must really be undecodable');
      const ack = await bus.js.publish(t.topic.subject, garbage, { msgID: 'garbage-1' });
      // A valid event after it is still handled.
      await publishEvent(bus.js, t.topic, discovered());
      await eventually('a dead letter and the valid message handled', async () => (await deadLetters(t)).length === 1 && calls === 1);
      const [dl] = await deadLetters(t);
      assert.equal(dl!.deliveries, 1);
      assert.match(dl!.reason, /cannot decode as assay\.v1\.ImageDiscovered/);
      assert.deepEqual(dl!.data, garbage);
      assert.equal(dl!.streamSequence, BigInt(ack.seq));
      assert.equal(dl!.headers['Nats-Msg-Id'], 'garbage-1');
      await eventually('nothing pending', async () => (await consumerState(t)).num_ack_pending === 0);
    } finally {
      await handle.stop();
    }
  });

  test('a message of another type is dead-lettered at once', async () => {
    const t = await setup('wrongtype');
    let calls = 0;
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      handler: () => void calls++,
    });
    try {
      await publishEvent(
        bus.js,
        { subject: t.topic.subject, schema: DeadLetterSchema },
        {
          $typeName: 'assay.v1.DeadLetter',
          meta: discovered().meta,
          stream: 'x',
          consumer: '',
          subject: '',
          streamSequence: 0n,
          deliveries: 0,
          reason: '',
          data: new Uint8Array(),
          headers: {},
        },
      );
      await eventually('a dead letter', async () => (await deadLetters(t)).length === 1);
      assert.match((await deadLetters(t))[0]!.reason, /assay\.v1\.DeadLetter is not the assay\.v1\.ImageDiscovered/);
      assert.equal(calls, 0);
    } finally {
      await handle.stop();
    }
  });

  test('a PermanentError dead-letters at once', async () => {
    const t = await setup('permanent');
    let calls = 0;
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      maxDeliveries: 10,
      handler: () => {
        calls++;
        throw new PermanentError('image reference is malformed');
      },
    });
    try {
      await publishEvent(bus.js, t.topic, discovered());
      await eventually('a dead letter', async () => (await deadLetters(t)).length === 1);
      const [dl] = await deadLetters(t);
      assert.equal(dl!.deliveries, 1);
      assert.match(dl!.reason, /permanent error: image reference is malformed/);
      await sleep(2000);
      assert.equal(calls, 1);
      assert.equal((await consumerState(t)).num_ack_pending, 0);
    } finally {
      await handle.stop();
    }
  });

  test('concurrency 3: never more than 3 handlers at once, all 20 messages acked once', async () => {
    const t = await setup('conc', { ackWaitMs: 2000 });
    let running = 0;
    let peak = 0;
    const handled = new Map<number, number>();
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      concurrency: 3,
      handler: async (_m, d) => {
        running++;
        peak = Math.max(peak, running);
        try {
          await sleep(100 + (d.streamSequence % 3) * 50);
        } finally {
          running--;
        }
        handled.set(d.streamSequence, (handled.get(d.streamSequence) ?? 0) + 1);
      },
    });
    try {
      await Promise.all(Array.from({ length: 20 }, () => publishEvent(bus.js, t.topic, discovered())));
      await eventually(
        '20 messages acked',
        async () => {
          const s = await consumerState(t);
          return handled.size === 20 && s.num_ack_pending === 0 && s.num_pending === 0;
        },
        30_000,
      );
      assert.ok(peak <= 3, `peak ${peak}`);
      assert.equal(peak, 3, 'the limit was used');
      assert.ok(
        [...handled.values()].every((n) => n === 1),
        'each message handled exactly once',
      );
      assert.equal((await consumerState(t)).ack_floor.stream_seq, 20);
    } finally {
      await handle.stop();
    }
  });

  test('a handler longer than the ack wait keeps its message (working) and is not redelivered', async () => {
    const t = await setup('long', { ackWaitMs: 1000 });
    const deliveries: number[] = [];
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      concurrency: 2,
      handler: async (_m, d) => {
        deliveries.push(d.deliveryCount);
        await sleep(3500);
      },
    });
    try {
      await publishEvent(bus.js, t.topic, discovered());
      await eventually('handled and acked', async () => deliveries.length === 1 && (await consumerState(t)).num_ack_pending === 0, 15_000);
      assert.deepEqual(deliveries, [1]);
      assert.equal((await consumerState(t)).num_redelivered, 0);
    } finally {
      await handle.stop();
    }
  });

  test('stop() waits for the handler in flight, whose message is then acked', async () => {
    const t = await setup('stop');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let finished = false;
    const handle = await consumeDurable({
      js: bus.js,
      connection: bus,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      handler: async () => {
        started = true;
        await gate;
        finished = true;
      },
    });
    await publishEvent(bus.js, t.topic, discovered());
    await eventually('handler started', () => started);
    assert.equal(handle.inFlight(), 1);
    let stopped = false;
    const stopping = handle.stop().then(() => (stopped = true));
    await sleep(300);
    assert.equal(stopped, false, 'stop() returned while a handler was running');
    release();
    await stopping;
    assert.equal(finished, true);
    assert.equal(handle.inFlight(), 0);
    await handle.closed;
    assert.equal((await consumerState(t)).num_ack_pending, 0);
    // Stopped for good: a new message stays pending.
    await publishEvent(bus.js, t.topic, discovered());
    await sleep(500);
    assert.equal((await consumerState(t)).num_pending, 1);
  });

  test('closing the connection stops its consumers first, so in-flight work is acked', async () => {
    const t = await setup('drain');
    const other = await connectBus({ servers: server.url, name: 'drain-test' });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    await consumeDurable({
      js: other.js,
      connection: other,
      consumer: t.consumer,
      schema: ImageDiscoveredSchema,
      handler: async () => {
        started = true;
        await gate;
      },
    });
    await publishEvent(bus.js, t.topic, discovered());
    await eventually('handler started', () => started);
    const closing = other.close();
    setTimeout(release, 300);
    await closing;
    assert.equal(other.nc.isClosed(), true);
    const s = await consumerState(t);
    assert.equal(s.num_ack_pending, 0);
    assert.equal(s.ack_floor.stream_seq, 1);
  });

  test('an unprovisioned consumer is refused clearly', async () => {
    await assert.rejects(
      consumeDurable({
        js: bus.js,
        consumer: { stream: 'NOPE', durable: 'nobody', filterSubject: 'x', description: '' },
        schema: ImageDiscoveredSchema,
        handler: () => {},
      }),
      /consumer NOPE\/nobody is not available \(provision the topology first\)/,
    );
  });
});
