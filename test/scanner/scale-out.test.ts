// Scale-out: two scanner replicas on one durable consumer (scanner-discovered), one deployment
// store (a SQLite file both open), a real nats-server and a real Distribution registry. The
// replicas share the work and no image is scanned twice; a replica that dies holding scan jobs
// (its bus connection cut mid-scan, as a killed pod's would be) loses nothing: the server
// redelivers its unacknowledged jobs after the ack wait, and the other replica scans each once.
//
// Replica A reaches NATS and the registry through TCP proxies so the test can take them away
// from it alone; replica B is connected directly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { BusConnection } from '@assay/bus';
import { ScanStatus } from '@assay/proto';
import { openStore, type Store } from '@assay/store';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, waitFor, type ImageAt, type ScannerHandle } from './helpers.ts';

describe('scanner: two replicas on one durable consumer', () => {
  let nats: NatsServer;
  let registry: Registry;
  let tmp: { path: string; remove(): Promise<void> };
  let admin: BusConnection;
  let completed: CompletedEvents;
  let natsProxy: TcpProxy; // replica A's way to NATS
  let registryProxy: TcpProxy; // replica A's way to the registry
  let a: ScannerHandle;
  let b: ScannerHandle;
  let store: Store; // the test's own view of the deployment store
  let n = 0;

  before(async () => {
    [nats, registry, tmp] = await Promise.all([startNatsServer(), startRegistry(), makeTempDir('scale-out')]);
    [natsProxy, registryProxy] = await Promise.all([startTcpProxy(nats.port), startTcpProxy(registry.port)]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    const sqlite = join(tmp.path, 'assay.sqlite');
    const common = {
      SQLITE_PATH: sqlite,
      SCAN_CONCURRENCY: '2',
      // A's scans hang on a frozen registry connection; they must not time out into a retry on
      // their own while the test waits for the server's redelivery.
      SCAN_REGISTRY_TIMEOUT: '10m',
      TRUST_VERIFY: 'false',
    };
    // Both name the registry by the host the events carry; A's requests go through its proxy.
    const registries = (url: string) => JSON.stringify([{ name: 'local', url, host: registry.host, insecure: true }]);
    a = await startScanner(`nats://${natsProxy.address}`, {
      ...common,
      VULNDB_DIR: join(tmp.path, 'vulndb-a'),
      SCANNER_REGISTRIES: registries(`http://${registryProxy.address}`),
    });
    b = await startScanner(nats.url, { ...common, VULNDB_DIR: join(tmp.path, 'vulndb-b'), SCANNER_REGISTRIES: registries(registry.url) });
    store = await openStore({ SQLITE_PATH: sqlite });
  });

  after(async () => {
    completed?.stop();
    // A's frozen scans end on a refused registry; it stops with its bus back.
    registryProxy?.cut();
    natsProxy?.restore();
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    await admin?.close();
    await Promise.all([natsProxy?.close(), registryProxy?.close()]);
    await Promise.all([nats?.close(), registry?.close()]);
    await tmp?.remove();
  });

  /** `count` small distinct images, pushed; each its own repository and content. */
  async function pushImages(count: number): Promise<ImageAt[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const i = ++n;
        const image = await buildImage({
          layers: [
            [
              { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
              { path: 'app.lock', content: `left-pad@1.${i}.0\n` },
              // A few hundred KiB so that a scan takes long enough to be seen in flight.
              { path: `usr/share/doc/image-${i}.txt`, content: `image ${i}\n`.repeat(40_000) },
            ],
          ],
        });
        const repository = `scale/app${i}`;
        await pushImage(registry.host, repository, 'v1', image);
        return { registry: registry.host, repository, digest: image.digest, tag: 'v1' };
      }),
    );
  }

  /** Every image has exactly one ScanCompleted (SUCCEEDED), naming the one report stored for it. */
  async function assertScannedOnce(images: readonly ImageAt[]): Promise<void> {
    for (const img of images) {
      const events = completed.for(img.digest);
      assert.equal(events.length, 1, `ScanCompleted events for ${img.repository}`);
      assert.equal(events[0]!.status, ScanStatus.SUCCEEDED, `${img.repository}: ${events[0]!.error}`);
      const report = await store.reports.get(img.digest);
      assert.ok(report, `a stored report for ${img.repository}`);
      assert.equal(report.reportId, events[0]!.reportId, `the report of ${img.repository} is the one announced`);
      assert.ok(
        report.packages.some((p) => p.name === 'left-pad'),
        `the report of ${img.repository} holds its package`,
      );
    }
  }

  const allCompleted = (images: readonly ImageAt[], timeoutMs: number) =>
    waitFor(`ScanCompleted for all ${images.length} images`, () => images.every((i) => completed.for(i.digest).length > 0) || undefined, {
      timeoutMs,
      intervalMs: 100,
    });

  const jobs = (h: ScannerHandle) => h.api!.jobs;

  test('both replicas scan, and each image is scanned exactly once', async (t) => {
    const images = await pushImages(12);
    await Promise.all(images.map((img) => publishDiscovered(admin, img)));
    await allCompleted(images, 60_000);
    // Late duplicates (a second delivery handled by the other replica) would arrive just after.
    await new Promise((r) => setTimeout(r, 1_000));
    await assertScannedOnce(images);
    const [ranA, ranB] = [jobs(a).scansRun, jobs(b).scansRun];
    t.diagnostic(`scans run: A ${ranA}, B ${ranB}`);
    assert.ok(ranA > 0 && ranB > 0, `both replicas scanned (A ${ranA}, B ${ranB})`);
    assert.equal(ranA + ranB, images.length, 'no image was scanned by both replicas');
  });

  test('a replica killed while holding scan jobs: the other scans each of them once', { timeout: 120_000 }, async (t) => {
    const ranBefore = { a: jobs(a).scansRun, b: jobs(b).scansRun };
    // A's scans now hang mid-pull: the jobs it takes stay in its hands, unacknowledged.
    registryProxy.freeze();
    const images = await pushImages(6);
    await Promise.all(images.map((img) => publishDiscovered(admin, img)));
    const held = await waitFor('replica A holding scan jobs', () => (jobs(a).inFlight().length > 0 ? jobs(a).inFlight() : undefined), {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    t.diagnostic(`A held ${held.length} job(s) when it died`);
    // A dies: no ack, no nak, no "still working" for its jobs any more.
    natsProxy.cut();
    // The server gives A's jobs to B once their ack wait (30 s, the provisioned default) runs out.
    await allCompleted(images, 90_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await assertScannedOnce(images);
    for (const digest of held) assert.equal(completed.for(digest).length, 1, `${digest}, held by A, was scanned by B once`);
    assert.equal(jobs(b).scansRun - ranBefore.b, images.length, 'B scanned every image of this run, those A held included');

    // A gone for good: stopping it (its scans aborted) writes and announces nothing more.
    registryProxy.cut();
    natsProxy.restore();
    await a.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await assertScannedOnce(images);
    assert.ok(jobs(a).scansRun - ranBefore.a >= held.length, 'A had started the scans it held');
  });
});
