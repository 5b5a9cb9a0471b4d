// Cost of the bus kit's typed publish (protobuf encode, Nats-Msg-Id, trace headers, span)
// against its baseline: a raw JetStream publish of pre-encoded bytes with no headers, on the
// same real nats-server, same stream, same number of acknowledgements in flight.
// Last line: name=value pairs.
import { create, toBinary } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, provisionTopology, publishEvent } from '@assay/bus';
import { ImageDiscoveredSchema, Streams, Topics } from '@assay/proto';
import { initTracing } from '@assay/telemetry';
import { startNatsServer } from '../test/support/nats-server.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const IN_FLIGHT = 64;
const ROUNDS = 3;

initTracing();
const server = await startNatsServer();
const bus = await connectBus({ servers: server.url, name: 'bench' });
try {
  await provisionTopology(await bus.jetstreamManager(), { streams: [Streams.images], consumers: [], buckets: [] }, { replicas: 1 });

  const image = { registry: '127.0.0.1:5000', repository: 'bench/app', tag: 'v1', digest: 'sha256:' + 'ab'.repeat(32) };
  const prebuilt = toBinary(ImageDiscoveredSchema, create(ImageDiscoveredSchema, { meta: newEventMeta('bench'), image }));

  async function windowed(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
    const start = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) await one(next++);
      }),
    );
    return Number(process.hrtime.bigint() - start) / 1e9;
  }

  const typed = () =>
    windowed(EVENTS, () =>
      publishEvent(bus.js, Topics.imageDiscovered, create(ImageDiscoveredSchema, { meta: newEventMeta('bench'), image })),
    );
  const raw = () => windowed(EVENTS, () => bus.js.publish(Topics.imageDiscovered.subject, prebuilt));

  // Warm up both paths (JIT, connection buffers), then alternate rounds so drift hits both.
  await windowed(2000, () => bus.js.publish(Topics.imageDiscovered.subject, prebuilt));
  await windowed(2000, () =>
    publishEvent(bus.js, Topics.imageDiscovered, create(ImageDiscoveredSchema, { meta: newEventMeta('bench'), image })),
  );
  const typedRates: number[] = [];
  const rawRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rawRates.push(EVENTS / (await raw()));
    typedRates.push(EVENTS / (await typed()));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const t = median(typedRates);
  const b = median(rawRates);
  console.log(`typed publish rounds (msg/s): ${typedRates.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`raw publish rounds (msg/s):   ${rawRates.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(
    `bench=bus-publish events=${EVENTS} in_flight=${IN_FLIGHT} typed_msgs_per_s=${t.toFixed(0)} baseline_raw_msgs_per_s=${b.toFixed(0)} typed_vs_baseline=${(t / b).toFixed(3)}`,
  );
} finally {
  await bus.close();
  await server.close();
}
