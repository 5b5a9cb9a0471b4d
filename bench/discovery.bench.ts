// Discovery latency: push-complete (the registry answered the manifest PUT) → ImageDiscovered
// received from ASSAY_IMAGES, through a real Distribution registry notifying registry-watcher
// (in-process, real nats-server). Baseline in the same run: push-complete → the notification
// received by a plain sink on a second registry, i.e. the registry's own notification latency,
// which the watcher's figure includes. Images are pushed one at a time, interleaved between the
// two registries. Arrival is timestamped as it happens, so a notification sent before the PUT's
// response reached the client counts as a negative latency. Last line: name=value pairs.
import { fromBinary } from '@bufbuild/protobuf';
import { connectBus } from '@assay/bus';
import { ImageDiscoveredSchema, Streams, Topics } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { registryWatcherService } from '@assay/registry-watcher';
import { buildImage, pushImage } from '../test/support/oci-image.ts';
import { startNotificationSink, startRegistry } from '../test/support/oci-registry.ts';
import { startNatsServer } from '../test/support/nats-server.ts';
import { freePort } from '../test/support/ports.ts';

const N = Number(process.env.BENCH_IMAGES ?? 50);
const TOKEN = 'bench-token';
const TIMEOUT_MS = 15_000;

const nats = await startNatsServer();
const port = await freePort();
const registry = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/registry/events/bench`, token: TOKEN } });
const sink = await startNotificationSink();
const baselineRegistry = await startRegistry({ notifications: { url: sink.url, token: TOKEN } });
const watcher = createService(registryWatcherService, {
  env: {
    NATS_URL: nats.url,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'warn',
    METRICS_DEFAULT: 'false',
    NOTIFICATION_TOKEN: TOKEN,
    WATCHER_REGISTRIES: JSON.stringify([{ name: 'bench', url: registry.url, insecure: true, trustNotifications: true }]),
  },
});
const admin = await connectBus({ servers: nats.url, name: 'bench' });
try {
  await watcher.start();
  await watcher.ready({ timeoutMs: 20_000 });

  // Arrival time of each discovered digest.
  const arrived = new Map<string, number>();
  const waiters = new Map<string, (t: number) => void>();
  const consumer = await admin.js.consumers.get(Streams.images.name, { filterSubjects: Topics.imageDiscovered.subject });
  const messages = await consumer.consume();
  void (async () => {
    for await (const m of messages) {
      const t = performance.now();
      const digest = fromBinary(ImageDiscoveredSchema, m.data).image?.digest ?? '';
      arrived.set(digest, t);
      waiters.get(digest)?.(t);
    }
  })();
  const discovered = (digest: string) =>
    new Promise<number>((resolve, reject) => {
      const t = arrived.get(digest);
      if (t !== undefined) return resolve(t);
      const timer = setTimeout(() => reject(new Error(`no ImageDiscovered for ${digest} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      waiters.set(digest, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });

  const images = await Promise.all(
    Array.from({ length: N + 2 }, (_, i) =>
      buildImage({ layers: [[{ path: 'bench', content: `image ${i} ${Date.now()}\n` }]], config: { Labels: { i: String(i) } } }),
    ),
  );
  const discovery: number[] = [];
  const baseline: number[] = [];
  for (const [i, image] of images.entries()) {
    const warmup = i < 2;
    const tag = `v${i}`;
    // Watcher path.
    const arrival = discovered(image.digest);
    await pushImage(registry.host, 'bench/app', tag, image);
    const pushed = performance.now();
    const d = (await arrival) - pushed;
    // Baseline path: the registry's own notification to a plain sink.
    // (The waiter is registered first, so its timestamp is the arrival, even when the
    // notification beats the PUT's response.)
    const notified = sink
      .waitForEvent((e) => e.action === 'push' && e.target.tag === tag && e.target.repository === 'bench/app', TIMEOUT_MS)
      .then(() => performance.now());
    await pushImage(baselineRegistry.host, 'bench/app', tag, image);
    const pushed2 = performance.now();
    const b = (await notified) - pushed2;
    if (!warmup) {
      discovery.push(d);
      baseline.push(b);
    }
  }
  messages.stop();

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  };
  const f = (x: number) => x.toFixed(1);
  console.log(`images=${N} discovery_ms: min=${f(Math.min(...discovery))} max=${f(Math.max(...discovery))}`);
  console.log(`images=${N} baseline_notify_ms: min=${f(Math.min(...baseline))} max=${f(Math.max(...baseline))}`);
  console.log(
    `discovery_p50_ms=${f(pct(discovery, 50))} discovery_p99_ms=${f(pct(discovery, 99))} baseline_notify_p50_ms=${f(pct(baseline, 50))} baseline_notify_p99_ms=${f(pct(baseline, 99))}`,
  );
} finally {
  await watcher.stop();
  await admin.close();
  await registry.close();
  await baselineRegistry.close();
  await sink.close();
  await nats.close();
}
