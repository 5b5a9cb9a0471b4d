// Database updates against a real registry and a real nats-server: the scanner fetches db v1
// published as an OCI artifact; images are scanned against it; v2 is published with an advisory
// affecting one image → a check swaps it in, publishes VulnDbUpdated (id derived from the
// version), re-matches the stored reports without pulling anything, stores the changed one under
// the same report id and re-publishes exactly one ScanCompleted for it (caused by the
// VulnDbUpdated), none for the image whose findings did not change; a second check is a no-op.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import type { ConsumerMessages } from 'nats';
import { ScanStatus, Streams, Topics, type VulnDbUpdated, VulnDbUpdatedSchema } from '@assay/proto';
import { derivedEventId, type BusConnection } from '@assay/bus';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { buildDatabase, publishDatabase } from '@assay/vulndb';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, waitFor, type ScannerHandle } from './helpers.ts';

const V1 = '20260101T000000Z';
const V2 = '20260201T000000Z';

const npmAdvisory = (id: string, name: string, fixed: string, vector: string) => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  severity: [{ type: 'CVSS_V3', score: vector }],
  affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
});
/** In v1 and v2: minimist < 1.2.6 (the second image keeps this finding: unchanged). */
const minimist = npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.6', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
/** New in v2: lodash < 4.17.21 (the first image gains it). */
const lodash = npmAdvisory('GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.21', 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H');

const installed = (name: string, version: string) =>
  buildImage({
    layers: [
      [
        { path: 'app/', type: 'dir' },
        { path: 'app/node_modules/', type: 'dir' },
        { path: `app/node_modules/${name}/`, type: 'dir' },
        { path: `app/node_modules/${name}/package.json`, content: JSON.stringify({ name, version }) },
      ],
    ],
  });

/** Every VulnDbUpdated stored in ASSAY_POLICY. */
async function collectDbUpdates(bus: BusConnection): Promise<{ events: VulnDbUpdated[]; stop(): void }> {
  const consumer = await bus.js.consumers.get(Streams.policy.name, { filterSubjects: Topics.vulnDbUpdated.subject });
  const messages: ConsumerMessages = await consumer.consume();
  const events: VulnDbUpdated[] = [];
  void (async () => {
    for await (const m of messages) events.push(fromBinary(VulnDbUpdatedSchema, m.data));
  })();
  return { events, stop: () => messages.stop() };
}

describe('scanner: vulnerability database updates', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let updates: Awaited<ReturnType<typeof collectDbUpdates>>;
  let tmp: { path: string; remove(): Promise<void> };
  let scanner: ScannerHandle | undefined;
  let env: Record<string, string> = {};
  let source = '';

  before(async () => {
    [nats, registry, tmp] = await Promise.all([startNatsServer(), startRegistry(), makeTempDir('scanner-vulndb-updates')]);
    source = `oci://${registry.host}/assay/vulndb:latest`;
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    updates = await collectDbUpdates(admin);
  });
  after(async () => {
    completed?.stop();
    updates?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
    await tmp?.remove();
  });

  test(
    'v1 from the registry; v2 adds an advisory → swap, VulnDbUpdated, re-match, one ScanCompleted for the changed image only',
    { timeout: 180_000 },
    async () => {
      const v1 = await buildDatabase({ records: [minimist], out: join(tmp.path, 'v1.sqlite'), version: V1 });
      const v2 = await buildDatabase({ records: [minimist, lodash], out: join(tmp.path, 'v2.sqlite'), version: V2 });
      const target = { registry: registry.host, repository: 'assay/vulndb', tag: 'latest' };
      await publishDatabase(v1.file, target);

      env = {
        SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
        // A file store, so the second test's replica shares it.
        SQLITE_PATH: join(tmp.path, 'store', 'assay.db'),
        VULNDB_DIR: join(tmp.path, 'scanner'),
        VULNDB_SOURCE: source,
        VULNDB_INSECURE: 'true',
        VULNDB_CHECK_INTERVAL: '0',
      };
      scanner = await startScanner(nats.url, env, defaultAnalyzerRegistry);
      const api = scanner.api!;
      const first = await api.vulndb.initial;
      assert.equal(first.updated, true);
      assert.equal(api.vulndb.version, V1);
      await waitFor('VulnDbUpdated v1', () => updates.events.find((e) => e.version === V1), { timeoutMs: 10_000 });

      // Two images scanned against v1: lodash 4.17.20 (no finding yet), minimist 1.2.5 (one finding).
      const a = await installed('lodash', '4.17.20');
      const b = await installed('minimist', '1.2.5');
      await pushImage(registry.host, 'team/a', 'v1', a);
      await pushImage(registry.host, 'team/b', 'v1', b);
      for (const [repo, img] of [
        ['team/a', a],
        ['team/b', b],
      ] as const) {
        await publishDiscovered(admin, { registry: registry.host, repository: repo, digest: img.digest, tag: 'v1' });
        const [ev] = await completed.wait(img.digest, 1, 60_000);
        assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
        assert.equal(ev!.vulnDbVersion, V1);
      }
      const beforeA = (await api.store.reports.get(a.digest))!;
      const beforeB = (await api.store.reports.get(b.digest))!;
      assert.deepEqual(beforeA.vulnerabilities, []);
      assert.deepEqual(
        beforeB.vulnerabilities.map((v) => v.id),
        ['GHSA-xvch-5gv4-984h'],
      );
      const blobFetches = api.jobs.counters.blobFetches;

      // v2 published; a check picks it up.
      await publishDatabase(v2.file, target);
      const result = await api.vulndb.checkForUpdate();
      assert.equal(result.updated, true, result.error);
      assert.equal(result.version, V2);
      assert.equal(api.vulndb.version, V2);
      assert.equal(result.rematch?.changed, 1);
      assert.equal(result.rematch?.failed, 0);

      // VulnDbUpdated: the new version, its checksum and source; an id every replica derives alike.
      const upd = await waitFor('VulnDbUpdated v2', () => updates.events.find((e) => e.version === V2), { timeoutMs: 10_000 });
      assert.equal(upd.meta?.id, derivedEventId(`assay.vulndb.updated\0${V2}`));
      assert.equal(upd.meta?.producer, 'scanner');
      assert.equal(upd.sha256, createHash('sha256').update(readFileSync(v2.file)).digest('hex'));
      assert.equal(upd.source, source);
      assert.ok(upd.builtAt && upd.builtAt.seconds > 0n);

      // Image a: the stored report (same id) now has the finding, at v2; nothing pulled again.
      const afterA = (await api.store.reports.get(a.digest))!;
      assert.equal(afterA.reportId, beforeA.reportId);
      assert.equal(afterA.vulnDbVersion, V2);
      assert.deepEqual(
        afterA.vulnerabilities.map((v) => [v.id, v.packageName, v.packageVersion, v.fixedVersion, v.severity]),
        [['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.20', '4.17.21', 'high']],
      );
      assert.equal(afterA.summary?.vulnerabilities.high, 1);
      assert.deepEqual(afterA.packages, beforeA.packages);
      assert.equal(api.jobs.counters.blobFetches, blobFetches, 're-matching pulls nothing');

      // Exactly one ScanCompleted re-published for a, caused by the VulnDbUpdated.
      const evA = await completed.wait(a.digest, 2, 10_000);
      const re = evA[1]!;
      assert.equal(re.status, ScanStatus.SUCCEEDED);
      assert.equal(re.reportId, beforeA.reportId);
      assert.equal(re.vulnDbVersion, V2);
      assert.equal(re.summary?.vulnerabilities?.high, 1);
      assert.equal(re.meta?.causationId, upd.meta?.id);
      assert.equal(re.image?.repository, 'team/a');
      assert.equal(re.image?.tag, 'v1');

      // Image b: findings unchanged → neither rewritten nor announced.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(completed.for(a.digest).length, 2);
      assert.equal(completed.for(b.digest).length, 1);
      const afterB = (await api.store.reports.get(b.digest))!;
      assert.equal(afterB.vulnDbVersion, V1);
      assert.deepEqual(
        afterB.vulnerabilities.map((v) => v.id),
        ['GHSA-xvch-5gv4-984h'],
      );

      // Checking again: nothing newer, nothing re-published.
      const again = await api.vulndb.checkForUpdate();
      assert.equal(again.updated, false);
      assert.equal(again.rematch, undefined);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(completed.for(a.digest).length, 2);
      assert.equal(updates.events.filter((e) => e.version === V2).length, 1);

      const metrics = await scanner.metrics.text();
      assert.match(metrics, new RegExp(`assay_scanner_vulndb_info\\{version="${V2}"[^}]*\\} 1`));
      assert.doesNotMatch(metrics, new RegExp(`assay_scanner_vulndb_info\\{version="${V1}"`));
      assert.match(metrics, /assay_scanner_vulndb_rematched_reports_total\{result="changed"[^}]*\} 1/);
      assert.match(metrics, /assay_scanner_vulndb_checks_total\{result="updated"[^}]*\} 2/);
    },
  );

  test(
    'a second replica sharing the store: the update is announced once, reports at v2 are skipped, racing re-matches publish once',
    { timeout: 60_000 },
    async () => {
      const api = scanner!.api!;
      const digestA = completed.events.find((e) => e.image?.repository === 'team/a')!.image!.digest;
      const eventsBefore = completed.events.length;
      const replica = await startScanner(nats.url, { ...env, VULNDB_DIR: join(tmp.path, 'replica') }, defaultAnalyzerRegistry);
      try {
        // It fetches v2 at start and announces it: the same derived id, so the stream keeps one.
        const first = await replica.api!.vulndb.initial;
        assert.equal(first.version, V2);
        assert.equal(first.rematch?.changed, 0, 'report a is already at v2, b unchanged');
        assert.ok((first.rematch?.skipped ?? 0) >= 1);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(updates.events.filter((e) => e.version === V2).length, 1, 'VulnDbUpdated de-duplicated across replicas');
        assert.equal(completed.events.length, eventsBefore);

        // Both replicas re-matching the same stale report at once: both store the same findings,
        // and their ScanCompleted copies share one id, so one is stored.
        const stale = (await api.store.reports.get(digestA))!;
        const { vulnDbVersion: _v, ...rest } = stale;
        // A new report id (a rescan), so the derived event id differs from the first test's.
        await api.store.reports.put({
          ...rest,
          reportId: randomUUID(),
          vulnerabilities: [],
          summary: { ...stale.summary!, vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 } },
        });
        const [r1, r2] = await Promise.all([api.vulndb.rematchAll('race'), replica.api!.vulndb.rematchAll('race')]);
        assert.ok(r1.changed + r2.changed >= 1);
        await new Promise((r) => setTimeout(r, 1000));
        const newEvents = completed.events.slice(eventsBefore);
        assert.equal(newEvents.length, 1, `one ScanCompleted stored (got ${newEvents.length})`);
        assert.equal(newEvents[0]!.image?.digest, digestA);
        assert.equal((await api.store.reports.get(digestA))!.vulnDbVersion, V2);
      } finally {
        await replica.stop();
      }
    },
  );
});
