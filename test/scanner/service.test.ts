// The scanner end to end over a real nats-server and a real Distribution registry, with the store
// on SQLite in memory: ImageDiscovered → a stored report and ScanCompleted; idempotency by digest
// (in-flight jobs joined, existing reports reused unless forced); the per-layer cache (a shared
// base layer is fetched and walked once); hostile images fail cleanly (FAILED, error recorded)
// and the service keeps scanning; a registry that goes away ends in FAILED after retries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { BusConnection } from '@assay/bus';
import { openStore } from '@assay/store';
import { makeTempDir } from '../support/tempdir.ts';
import { fromBinary } from '@bufbuild/protobuf';
import {
  AuditEventSchema,
  DiscoverySource,
  type EventMeta,
  type ImageDiscovered,
  type ScanAudit,
  ScanStatus,
  Streams,
  Topics,
} from '@assay/proto';
import { indexEventId } from '@assay/registry-watcher';
import {
  buildImage,
  buildIndex,
  hostileLayers,
  MediaTypes,
  pushImage,
  type BuiltImage,
  type LayerEntry,
  type LayerSpec,
} from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import {
  CompletedEvents,
  connectAdmin,
  IndexEvents,
  publishDiscovered,
  publishRequested,
  startScanner,
  waitFor,
  type ImageAt,
  type ScannerHandle,
} from './helpers.ts';

const MiB = 1024 * 1024;

const baseEntries: LayerEntry[] = [
  { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { path: 'var/lib/testpkg/status', content: 'libc6 2.36-9\nbash 5.2.15-2\n' },
  { path: 'usr/share/doc/base.txt', content: 'base layer\n'.repeat(1000) },
];

describe('scanner: service over NATS', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let indexes: IndexEvents; // assay.image.index
  let scanner: ScannerHandle;
  let n = 0;

  before(async () => {
    [nats, registry] = await Promise.all([startNatsServer(), startRegistry()]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    indexes = await IndexEvents.start(admin);
    scanner = await startScanner(nats.url, {
      SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
      SCAN_MAX_LAYER_INFLATED: '256MiB',
      SCAN_MAX_DELIVERIES: '2',
      SCAN_REGISTRY_TIMEOUT: '3s',
    });
  });
  after(async () => {
    completed?.stop();
    indexes?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
  });

  const api = () => scanner.api!;

  async function push(
    layers: LayerSpec[],
    opts: { repo?: string; config?: BuiltImage['config']['config']; unchecked?: boolean; annotations?: Record<string, string> } = {},
  ): Promise<ImageAt & { image: BuiltImage }> {
    const image = await buildImage({
      layers,
      ...(opts.config ? { config: opts.config } : {}),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    });
    const repository = opts.repo ?? `team/app${++n}`;
    await pushImage(registry.host, repository, 'v1', image, opts.unchecked ? { unchecked: registry } : {});
    return { registry: registry.host, repository, digest: image.digest, tag: 'v1', image };
  }

  async function scanOverBus(img: ImageAt) {
    const before = completed.for(img.digest).length;
    await publishDiscovered(admin, img);
    const evs = await completed.wait(img.digest, before + 1);
    return evs[before]!;
  }

  /** The platform manifests of an index event, comparable with deepEqual (sorted by digest). */
  const platformsOf = (e: ImageDiscovered) =>
    e.manifests
      .map((m) => ({
        registry: m.registry,
        repository: m.repository,
        digest: m.digest,
        mediaType: m.mediaType,
        platform: m.platform && { os: m.platform.os, architecture: m.platform.architecture, variant: m.platform.variant },
      }))
      .sort((a, b) => a.digest.localeCompare(b.digest));

  async function goodImageStillScans() {
    const img = await push([{ entries: [...baseEntries, { path: `srv/app/app.lock`, content: `ok@${++n}.0.0\n` }] }]);
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
  }

  test('ImageDiscovered → a stored report and ScanCompleted with its id', async () => {
    const img = await push(
      [
        baseEntries,
        [
          { path: 'srv/app/app.lock', content: 'left-pad@1.3.0\nlodash@4.17.21\n' },
          { path: 'srv/app/.wh.old', content: '' },
        ],
      ],
      {
        config: {
          User: 'app',
          Env: ['PATH=/usr/bin', 'API_TOKEN=s3cr3t-value'],
          ExposedPorts: { '8080/tcp': {} },
          Cmd: ['node', 'server.js'],
        },
        annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:12' },
      },
    );
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
    assert.ok(ev.reportId);
    assert.equal(ev.summary?.packages, 4);
    assert.equal(ev.summary?.os, 'debian 12');
    assert.equal(ev.analyzerVersions['test-pkgdb'], '1');

    const report = await api().store.reports.get(img.digest);
    assert.ok(report);
    assert.equal(report.reportId, ev.reportId);
    assert.equal((report as Record<string, unknown>).status, 'succeeded');
    assert.deepEqual(report.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort(), [
      'deb:bash@5.2.15-2',
      'deb:libc6@2.36-9',
      'npm:left-pad@1.3.0',
      'npm:lodash@4.17.21',
    ]);
    assert.deepEqual(
      report.layers.map((l) => l.digest),
      img.image.layers.map((l) => l.digest),
    );
    assert.deepEqual(
      report.layers.map((l) => l.diffId),
      img.image.config.rootfs.diff_ids,
    );
    const npm = report.packages.find((p) => p.name === 'lodash')!;
    assert.equal(npm.layerDigest, img.image.layers[1]!.digest);
    assert.equal(npm.path, 'srv/app/app.lock');
    assert.deepEqual(report.vulnerabilities, []);
    const config = report.config as Record<string, any>;
    assert.deepEqual(config.envNames, ['PATH', 'API_TOKEN']);
    assert.ok(!JSON.stringify(report).includes('s3cr3t-value'), 'env values never reach the report');
    assert.deepEqual(config.exposedPorts, ['8080/tcp']);
    assert.equal(config.user, 'app');
    assert.equal(report.baseImage, 'docker.io/library/debian:12');
    assert.deepEqual((report as any).deletedFiles, [{ path: 'srv/app/old', layerDigest: img.image.layers[1]!.digest, how: 'whiteout' }]);

    const inv = await api().store.inventory.get(img.digest);
    assert.equal(inv?.scanStatus, 'succeeded');
    assert.equal(inv?.reportId, ev.reportId);

    // the HTTP routes
    const r1 = await fetch(`${scanner.address}/reports/${img.digest}`);
    assert.equal(r1.status, 200);
    assert.equal(((await r1.json()) as { reportId: string }).reportId, ev.reportId);
    const r2 = await fetch(`${scanner.address}/reports/${img.digest}/sbom`);
    assert.equal(r2.status, 200);
    assert.match(r2.headers.get('content-type') ?? '', /application\/vnd\.cyclonedx\+json/);
    const bom = (await r2.json()) as { specVersion: string; components: { purl: string }[] };
    assert.equal(bom.specVersion, '1.6');
    assert.deepEqual(bom.components.map((c) => c.purl).sort(), report.packages.map((p) => p.purl).sort());
    assert.equal((await fetch(`${scanner.address}/reports/sha256:${'0'.repeat(64)}/sbom`)).status, 404);
    assert.equal((await fetch(`${scanner.address}/reports/nope`)).status, 400);
  });

  test('jobs for a digest being scanned join the scan in flight', async () => {
    const img = await push([baseEntries, [{ path: 'srv/x/app.lock', content: 'a@1.0.0\n' }]]);
    const runs = api().jobs.scansRun;
    const pa = api().jobs.scan(img);
    const pb = api().jobs.scan(img);
    assert.deepEqual(api().jobs.inFlight(), [img.digest]);
    const [a, b] = await Promise.all([pa, pb]);
    assert.equal(a, b);
    assert.equal(a.status, 'succeeded');
    assert.equal(api().jobs.scansRun, runs + 1);
    // and over the bus: two ImageDiscovered back to back for a new digest → one scan
    const img2 = await push([baseEntries, [{ path: 'srv/y/app.lock', content: 'b@1.0.0\n' }]]);
    await publishDiscovered(admin, img2);
    await publishDiscovered(admin, img2);
    const evs = await completed.wait(img2.digest, 1);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(api().jobs.scansRun, runs + 2);
    assert.ok(evs.every((e) => e.reportId === evs[0]!.reportId));
  });

  /** The scan audit events of `digest` in the audit stream. */
  async function scanAudits(digest: string) {
    const jsm = await admin.jetstreamManager();
    const info = await jsm.streams.info(Streams.audit.name).catch(() => undefined);
    const out: Array<{ meta: EventMeta; scan: ScanAudit }> = [];
    if (!info) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
      if (!m || m.subject !== Topics.auditScan.subject) continue;
      const e = fromBinary(AuditEventSchema, m.data);
      if (e.event.case === 'scan' && e.event.value.image?.digest === digest) out.push({ meta: e.meta!, scan: e.event.value });
    }
    return out;
  }

  test('ScanRequested: an existing report is reused; force scans again', async () => {
    const img = await push([baseEntries]);
    const first = await scanOverBus(img);
    const runs = api().jobs.scansRun;
    const before = completed.for(img.digest).length;
    await publishRequested(admin, img, false);
    const again = (await completed.wait(img.digest, before + 1))[before]!;
    assert.equal(again.status, ScanStatus.SUCCEEDED);
    assert.equal(again.reportId, first.reportId);
    assert.equal(api().jobs.scansRun, runs, 'no rescan without force');

    await publishRequested(admin, img, true);
    const forced = (await completed.wait(img.digest, before + 2))[before + 1]!;
    assert.equal(forced.status, ScanStatus.SUCCEEDED);
    assert.notEqual(forced.reportId, first.reportId);
    assert.equal(api().jobs.scansRun, runs + 1, 'force rescans');
    assert.equal((await api().store.reports.get(img.digest))?.reportId, forced.reportId);

    // Each scan that ran is audited once (counts only), the reused report is not.
    const audits = await scanAudits(img.digest);
    assert.deepEqual(
      audits.map((a) => a.scan.reportId),
      [first.reportId, forced.reportId],
    );
    assert.ok(audits.every((a) => a.scan.status === 'succeeded' && a.scan.error === '' && a.meta.producer === 'scanner'));
    assert.deepEqual(
      audits.map((a) => a.meta.causationId),
      [first.meta!.id, forced.meta!.id],
      'caused by the ScanCompleted',
    );
  });

  test('a base layer shared by two images is fetched and walked once', async () => {
    const shared: LayerSpec = { entries: [...baseEntries, { path: 'etc/shared-marker', content: `${Date.now()}\n` }] };
    const a = await push([shared, [{ path: 'srv/a/app.lock', content: 'a@1.0.0\n' }]]);
    const b = await push([shared, [{ path: 'srv/b/app.lock', content: 'b@1.0.0\n' }]]);
    assert.equal(a.image.layers[0]!.digest, b.image.layers[0]!.digest);
    const c = api().jobs.counters;
    const f0 = c.blobFetches;
    const w0 = c.layersWalked;
    const h0 = c.layersCached;
    assert.equal((await scanOverBus(a)).status, ScanStatus.SUCCEEDED);
    assert.equal(c.blobFetches - f0, 2);
    assert.equal((await scanOverBus(b)).status, ScanStatus.SUCCEEDED);
    assert.equal(c.blobFetches - f0, 3, 'the shared layer is not fetched again');
    assert.equal(c.layersWalked - w0, 3);
    assert.equal(c.layersCached - h0, 1);
    const rb = await api().store.reports.get(b.digest);
    assert.deepEqual(rb!.packages.map((p) => p.name).sort(), ['b', 'bash', 'libc6']);
    assert.equal((rb!.layers[0] as { cached?: boolean }).cached, true);
    // a forced rescan of a fetches nothing at all
    await publishRequested(admin, a, true);
    await completed.wait(a.digest, 2);
    assert.equal(c.blobFetches - f0, 3);
  });

  test('a layer whose blob does not match its digest → FAILED (DigestMismatch), and the service goes on', async () => {
    const img = await push([baseEntries, hostileLayers.digestMismatch()], { unchecked: true });
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.FAILED);
    assert.match(ev.error, /DigestMismatchError/);
    const report = await api().store.reports.get(img.digest);
    assert.equal((report as Record<string, unknown>).status, 'failed');
    assert.match(String((report as Record<string, unknown>).error), /DigestMismatchError/);
    assert.equal(report!.reportId, ev.reportId);
    assert.equal((await api().store.inventory.get(img.digest))?.scanStatus, 'failed');
    await goodImageStillScans();
  });

  test('a gzip bomb → FAILED with the limit error', async () => {
    const img = await push([hostileLayers.gzipBomb(512 * MiB)]);
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.FAILED);
    assert.match(ev.error, new RegExp(`LayerLimitError: layer ${img.image.layers[0]!.digest} inflates past 256 MiB`));
    await goodImageStillScans();
  });

  test('not-a-tar, truncated gzip and a wrong diff_id → FAILED; path traversal → SUCCEEDED with warnings', async () => {
    for (const spec of [hostileLayers.notATar(), hostileLayers.truncatedGzip(), hostileLayers.diffIdMismatch()]) {
      const img = await push([baseEntries, spec]);
      const ev = await scanOverBus(img);
      assert.equal(ev.status, ScanStatus.FAILED);
      assert.match(ev.error, /LayerFormatError: layer sha256:[0-9a-f]{64}: (is not|inflates to)/);
    }
    const img = await push([
      [
        ...hostileLayers.pathTraversal(),
        ...hostileLayers.absolutePaths(),
        ...hostileLayers.symlinkLoop(),
        ...hostileLayers.symlinkEscape(),
      ],
    ]);
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
    const report = (await api().store.reports.get(img.digest)) as Record<string, any>;
    assert.equal(report.warnings.filter((w: string) => /climbs out of the layer root/.test(w)).length, 2, report.warnings.join('\n'));
    await goodImageStillScans();
  });

  test('a manifest the registry does not have → FAILED at once', async () => {
    const img: ImageAt = { registry: registry.host, repository: 'team/ghost', digest: `sha256:${'9'.repeat(64)}` };
    const ev = await scanOverBus(img);
    assert.equal(ev.status, ScanStatus.FAILED);
    assert.match(ev.error, /MANIFEST_UNKNOWN|HTTP 404/);
    const [audit] = await scanAudits(img.digest);
    assert.equal(audit?.scan.status, 'failed');
    assert.equal(audit?.scan.error, ev.error);
  });

  test('a registry that is gone → retried, then FAILED; after it returns, scans work', async () => {
    const img = await push([baseEntries, [{ path: 'srv/gone/app.lock', content: 'g@1.0.0\n' }]]);
    await registry.stop();
    try {
      const t0 = Date.now();
      const ev = await scanOverBus(img);
      assert.equal(ev.status, ScanStatus.FAILED);
      assert.match(ev.error, /ECONNREFUSED|registry|fetch failed|connect/i);
      assert.ok(Date.now() - t0 >= 150, 'retried with backoff first');
    } finally {
      await registry.start();
    }
    await goodImageStillScans();
    // and the image itself scans now
    await publishRequested(admin, img, false);
    const evs = await completed.wait(img.digest, 2);
    assert.equal(evs[1]!.status, ScanStatus.SUCCEEDED, evs[1]!.error);
  });

  test('an index is scanned as its platform manifests', async () => {
    const amd = await buildImage({
      layers: [[...baseEntries, { path: 'srv/amd/app.lock', content: 'amd@1.0.0\n' }]],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm = await buildImage({
      layers: [[...baseEntries, { path: 'srv/arm/app.lock', content: 'arm@1.0.0\n' }]],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = buildIndex([amd, arm]);
    await pushImage(registry.host, 'team/multi', 'v1', index);
    assert.equal(indexes.for(index.digest).length, 0);
    const cause = await publishDiscovered(admin, {
      registry: registry.host,
      repository: 'team/multi',
      digest: index.digest,
      mediaType: index.mediaType,
    });
    const [a] = await completed.wait(amd.digest, 1);
    const [b] = await completed.wait(arm.digest, 1);
    assert.equal(a!.status, ScanStatus.SUCCEEDED, a!.error);
    assert.equal(b!.status, ScanStatus.SUCCEEDED, b!.error);
    assert.equal(b!.image?.platform?.architecture, 'arm64');
    const rb = await api().store.reports.get(arm.digest);
    assert.ok(rb!.packages.some((p) => p.name === 'arm'));
    assert.deepEqual(rb!.image.platform, { os: 'linux', architecture: 'arm64' });

    // The index itself goes on assay.image.index, once, with both platforms.
    const [ix] = await indexes.wait(index.digest, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(indexes.for(index.digest).length, 1);
    assert.equal(ix!.meta?.id, indexEventId(index.digest), 'the id the watcher derives for this index');
    assert.equal(ix!.meta?.producer, 'scanner');
    assert.equal(ix!.meta?.causationId, cause);
    assert.equal(ix!.source, DiscoverySource.MANUAL);
    assert.equal(ix!.image?.registry, registry.host);
    assert.equal(ix!.image?.repository, 'team/multi');
    assert.equal(ix!.image?.mediaType, MediaTypes.ociIndex);
    assert.deepEqual(
      platformsOf(ix!),
      [
        {
          registry: registry.host,
          repository: 'team/multi',
          digest: amd.digest,
          mediaType: amd.mediaType,
          platform: { os: 'linux', architecture: 'amd64', variant: '' },
        },
        {
          registry: registry.host,
          repository: 'team/multi',
          digest: arm.digest,
          mediaType: arm.mediaType,
          platform: { os: 'linux', architecture: 'arm64', variant: '' },
        },
      ].sort((x, y) => x.digest.localeCompare(y.digest)),
    );
    assert.equal(completed.for(index.digest).length, 0, 'no ScanCompleted for the index digest itself');
  });

  test('ScanRequested for an index digest: the index event is published and both platforms are scanned', async () => {
    const amd = await buildImage({
      layers: [[...baseEntries, { path: 'srv/amd-req/app.lock', content: 'amdreq@1.0.0\n' }]],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm = await buildImage({
      layers: [[...baseEntries, { path: 'srv/arm-req/app.lock', content: 'armreq@1.0.0\n' }]],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const index = buildIndex([amd, arm]);
    await pushImage(registry.host, 'team/multi-req', 'v2', index);
    assert.equal(indexes.for(index.digest).length, 0);
    const runs = api().jobs.scansRun;
    const cause = await publishRequested(admin, { registry: registry.host, repository: 'team/multi-req', digest: index.digest, tag: 'v2' });

    const [ix] = await indexes.wait(index.digest, 1);
    const [a] = await completed.wait(amd.digest, 1);
    const [b] = await completed.wait(arm.digest, 1);
    assert.equal(a!.status, ScanStatus.SUCCEEDED, a!.error);
    assert.equal(b!.status, ScanStatus.SUCCEEDED, b!.error);
    assert.equal(a!.image?.platform?.architecture, 'amd64');
    assert.equal(b!.image?.platform?.architecture, 'arm64');
    assert.equal(b!.image?.platform?.variant, 'v8');
    assert.equal(a!.image?.repository, 'team/multi-req');
    assert.equal(a!.meta?.causationId, cause);
    assert.equal(b!.meta?.causationId, cause);
    assert.ok((await api().store.reports.get(amd.digest))!.packages.some((p) => p.name === 'amdreq'));
    assert.ok((await api().store.reports.get(arm.digest))!.packages.some((p) => p.name === 'armreq'));
    assert.equal(api().jobs.scansRun, runs + 3, 'the index digest (found to be an index) and each platform');

    await new Promise((r) => setTimeout(r, 300));
    assert.equal(indexes.for(index.digest).length, 1, 'exactly one index event');
    assert.equal(completed.for(amd.digest).length, 1);
    assert.equal(completed.for(arm.digest).length, 1);
    assert.equal(completed.for(index.digest).length, 0, 'no ScanCompleted for the index digest itself');
    assert.equal(ix!.meta?.id, indexEventId(index.digest));
    assert.equal(ix!.meta?.producer, 'scanner');
    assert.equal(ix!.meta?.causationId, cause);
    assert.equal(ix!.source, DiscoverySource.MANUAL);
    assert.equal(ix!.image?.registry, registry.host);
    assert.equal(ix!.image?.repository, 'team/multi-req');
    assert.equal(ix!.image?.tag, 'v2');
    assert.equal(ix!.image?.mediaType, MediaTypes.ociIndex);
    assert.deepEqual(
      platformsOf(ix!),
      [
        {
          registry: registry.host,
          repository: 'team/multi-req',
          digest: amd.digest,
          mediaType: amd.mediaType,
          platform: { os: 'linux', architecture: 'amd64', variant: '' },
        },
        {
          registry: registry.host,
          repository: 'team/multi-req',
          digest: arm.digest,
          mediaType: arm.mediaType,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ].sort((x, y) => x.digest.localeCompare(y.digest)),
    );
  });

  test('scan progress is published on core NATS', async () => {
    const img = await push([baseEntries, [{ path: 'srv/progress/app.lock', content: 'p@1.0.0\n' }]]);
    const { ScanProgressTopic, ScanProgressSchema } = await import('@assay/proto');
    const { fromBinary } = await import('@bufbuild/protobuf');
    const seen: string[] = [];
    const sub = admin.nc.subscribe(ScanProgressTopic.forDigest(img.digest).subject, {
      callback: (_e, m) => seen.push(fromBinary(ScanProgressSchema, m.data).stage),
    });
    await scanOverBus(img);
    await waitFor('progress done', () => (seen.includes('done') ? true : undefined), { timeoutMs: 5000 });
    sub.unsubscribe();
    assert.ok(seen.includes('manifest') && seen.includes('layer') && seen.includes('done'), seen.join(','));
  });

  test('stopping the service mid-scan hands the job back (no FAILED report)', async () => {
    const img = await push([hostileLayers.gzipBomb(2048 * MiB)]);
    const tmp = await makeTempDir('scanner-stop');
    const dbPath = join(tmp.path, 'assay.db');
    const other = await startScanner(nats.url, {
      SQLITE_PATH: dbPath,
      SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
    });
    const running = other.api!.jobs.scan(img);
    const outcome = running.then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    await waitFor(
      'scan under way',
      () => (other.api!.jobs.inFlight().includes(img.digest) && other.api!.jobs.counters.blobFetches > 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 200));
    await other.stop();
    assert.equal(await outcome, 'ScanAbortedError');
    const db = await openStore({ SQLITE_PATH: dbPath });
    try {
      assert.equal(await db.reports.get(img.digest), undefined, 'no report: the job is not recorded as failed');
      assert.equal((await db.inventory.get(img.digest))?.scanStatus, 'scanning');
    } finally {
      await db.close();
      await tmp.remove();
    }
  });

  test('metrics count scans, failures and layers', async () => {
    const text = await (await fetch(`${scanner.address}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    assert.ok(value(/^assay_scanner_scans_total\{[^}]*status="succeeded"[^}]*\} (\d+)/m) >= 5, text);
    assert.ok(value(/^assay_scanner_scans_total\{[^}]*status="failed"[^}]*\} (\d+)/m) >= 5);
    assert.ok(value(/^assay_scanner_layers_total\{[^}]*how="cached"[^}]*\} (\d+)/m) >= 1);
    assert.ok(value(/^assay_scanner_scans_skipped_total(?:\{[^}]*\})? (\d+)/m) >= 1);
    assert.match(text, /^assay_scanner_scan_duration_seconds_count\{[^}]*status="succeeded"/m);
    // Every succeeded scan had its (absent) signatures looked for.
    assert.ok(value(/^assay_scanner_trust_verifications_total\{[^}]*trigger="scan"[^}]*found="unsigned"[^}]*\} (\d+)/m) >= 5, text);
  });
});
