// Vulnerability matching in scans, with the real analyzers, a real nats-server and a real
// registry: a database built here from OSV records (an npm advisory on an installed lodash, a
// Debian advisory on the openssl source package) → the report lists each finding with its fixed
// version, severity and references, the summary counts them, ScanCompleted names the database
// version; without a database the scan still succeeds, inventory only, with a warning.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { ConfigError } from '@assay/config';
import { ScanStatus } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { defaultAnalyzerRegistry, NO_DB_WARNING } from '@assay/scan-engine';
import { scannerService } from '@assay/scanner';
import type { ScanReport } from '@assay/domain';
import { buildDatabase, dbPath, installDatabaseFile } from '@assay/vulndb';
import { buildImage, pushImage, type LayerEntry } from '../support/oci-image.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, type ScannerHandle } from './helpers.ts';

const DB_VERSION = '20260101T000000Z';

const warningsOf = (r: ScanReport) => (r['warnings'] as string[] | undefined) ?? [];

/** npm advisory (GHSA-35jh-r3h4-6jhm, CVE-2021-23337): lodash < 4.17.21, CVSS 3.1 7.2 → high. */
const lodashAdvisory = {
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-01-01T00:00:00Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] },
  ],
  references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' }],
};
/** An older lodash advisory the installed 4.17.20 is not affected by: must not be reported. */
const lodashFixedLongAgo = {
  id: 'GHSA-p6mc-m468-83gw',
  modified: '2024-01-01T00:00:00Z',
  summary: 'Prototype Pollution in lodash',
  affected: [
    { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.19' }] }] },
  ],
};
/** Debian advisory on the source package openssl (binary libssl3), CVSS 3.1 5.5 → medium. */
const opensslAdvisory = {
  id: 'DEBIAN-CVE-2024-0727',
  modified: '2024-01-01T00:00:00Z',
  upstream: ['CVE-2024-0727'],
  summary: 'openssl: denial of service via null dereference',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }],
    },
  ],
};

const DPKG_STATUS = `Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6000
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries

`;

/** A small Debian-shaped image: os-release, a dpkg status file, an installed lodash. */
function appImage(extra: LayerEntry[] = []) {
  return buildImage({
    layers: [
      [
        { path: 'etc/', type: 'dir' },
        {
          path: 'etc/os-release',
          content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
        },
        { path: 'var/', type: 'dir' },
        { path: 'var/lib/', type: 'dir' },
        { path: 'var/lib/dpkg/', type: 'dir' },
        { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
      ],
      [
        { path: 'app/', type: 'dir' },
        { path: 'app/node_modules/', type: 'dir' },
        { path: 'app/node_modules/lodash/', type: 'dir' },
        { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
        ...extra,
      ],
    ],
  });
}

function configError(env: Record<string, string>): string {
  try {
    createService(scannerService, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('scanner: vulnerability database configuration', () => {
  test('defaults: no source, hourly checks; the directory follows SQLITE_PATH', async () => {
    const c = createService(scannerService, { env: { SQLITE_PATH: '/var/lib/assay/assay.db' } }).config;
    assert.equal(c.VULNDB_SOURCE, undefined);
    assert.equal(c.VULNDB_INSECURE, false);
    assert.equal(c.VULNDB_CHECK_INTERVAL, 3_600_000);
    const { vulnDbDirFrom } = await import('@assay/scanner');
    assert.equal(vulnDbDirFrom(c), '/var/lib/assay/vulndb');
    assert.equal(vulnDbDirFrom({ ...c, VULNDB_DIR: '/srv/db' }), '/srv/db');
    assert.equal(vulnDbDirFrom({ ...c, SQLITE_PATH: ':memory:' }), undefined);
  });

  test('sources: oci:// with or without a tag, https URLs; bad ones named in one line', () => {
    const oci = createService(scannerService, {
      env: { VULNDB_SOURCE: 'oci://registry.example:5000/assay/vulndb:v1', VULNDB_CHECK_INTERVAL: '0' },
    }).config;
    assert.deepEqual(oci.VULNDB_SOURCE, {
      kind: 'oci',
      registry: 'registry.example:5000',
      repository: 'assay/vulndb',
      tag: 'v1',
      text: 'oci://registry.example:5000/assay/vulndb:v1',
    });
    assert.equal(oci.VULNDB_CHECK_INTERVAL, 0);
    const latest = createService(scannerService, { env: { VULNDB_SOURCE: 'oci://ghcr.io/acme/vulndb' } }).config;
    assert.equal(latest.VULNDB_SOURCE?.kind === 'oci' && latest.VULNDB_SOURCE.tag, 'latest');
    const url = createService(scannerService, { env: { VULNDB_SOURCE: 'https://mirror.example/vulndb.sqlite.gz' } }).config;
    assert.equal(url.VULNDB_SOURCE?.kind, 'url');
    assert.match(configError({ VULNDB_SOURCE: 'ftp://mirror.example/db' }), /VULNDB_SOURCE.*oci:\/\//);
    assert.match(configError({ VULNDB_SOURCE: 'oci://registry.example' }), /VULNDB_SOURCE/);
    assert.match(configError({ VULNDB_CHECK_INTERVAL: 'hourly' }), /VULNDB_CHECK_INTERVAL.*duration/);
    assert.match(configError({ VULNDB_INSECURE: 'maybe' }), /VULNDB_INSECURE/);
  });
});

describe('scanner: vulnerability matching', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let tmp: { path: string; remove(): Promise<void> };

  before(async () => {
    [nats, registry, tmp] = await Promise.all([startNatsServer(), startRegistry(), makeTempDir('scanner-vulndb')]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
  });
  after(async () => {
    completed?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
    await tmp?.remove();
  });

  const env = (dir: string) => ({
    SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
    VULNDB_DIR: dir,
    VULNDB_CHECK_INTERVAL: '0',
  });

  async function scan(scanner: ScannerHandle, repository: string, image: { digest: string }) {
    await publishDiscovered(admin, { registry: registry.host, repository, digest: image.digest, tag: 'v1' });
    const [ev] = await completed.wait(image.digest, 1, 60_000);
    assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
    const report = await scanner.api!.store.reports.get(image.digest);
    assert.ok(report);
    return { ev: ev!, report };
  }

  test(
    'a database with advisories on an installed npm package and a Debian source package → findings, counts, version',
    { timeout: 120_000 },
    async () => {
      const dir = join(tmp.path, 'with-db');
      await mkdir(dir, { recursive: true });
      await buildDatabase({ records: [lodashAdvisory, lodashFixedLongAgo, opensslAdvisory], out: dbPath(dir), version: DB_VERSION });
      const scanner = await startScanner(nats.url, env(dir), defaultAnalyzerRegistry);
      try {
        assert.equal(scanner.api!.vulndb.version, DB_VERSION);
        const image = await appImage();
        await pushImage(registry.host, 'team/app', 'v1', image);
        const { ev, report } = await scan(scanner, 'team/app', image);

        assert.equal(report.vulnDbVersion, DB_VERSION);
        assert.equal(ev.vulnDbVersion, DB_VERSION);
        assert.ok(!warningsOf(report).includes(NO_DB_WARNING));
        const ids = report.vulnerabilities.map((v) => v.id).sort();
        assert.deepEqual(ids, ['DEBIAN-CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm'], 'the advisory fixed in 4.17.19 does not apply to 4.17.20');

        const lodash = report.vulnerabilities.find((v) => v.id === 'GHSA-35jh-r3h4-6jhm')!;
        assert.equal(lodash.packageName, 'lodash');
        assert.equal(lodash.packageVersion, '4.17.20');
        assert.equal(lodash.packageType, 'npm');
        assert.equal(lodash.fixedVersion, '4.17.21');
        assert.equal(lodash.severity, 'high');
        assert.equal(lodash.cvss, 7.2);
        assert.deepEqual(lodash.aliases, ['CVE-2021-23337']);
        assert.equal(lodash.source, 'osv:npm');
        const refs = (lodash as { references?: string[] }).references ?? [];
        assert.ok(refs.includes('https://github.com/advisories/GHSA-35jh-r3h4-6jhm'), refs.join(' '));
        assert.ok(refs.includes('https://nvd.nist.gov/vuln/detail/CVE-2021-23337'), refs.join(' '));
        assert.equal((lodash as { path?: string }).path, 'app/node_modules/lodash/package.json');
        assert.equal((lodash as { layerDigest?: string }).layerDigest, image.layers[1]!.digest);

        const ssl = report.vulnerabilities.find((v) => v.id === 'DEBIAN-CVE-2024-0727')!;
        assert.equal(ssl.packageName, 'libssl3', 'reported on the installed binary package, matched by its source');
        assert.equal(ssl.packageVersion, '3.0.11-1~deb12u2');
        assert.equal(ssl.fixedVersion, '3.0.13-1~deb12u1');
        assert.equal(ssl.severity, 'medium');
        assert.equal(ssl.source, 'osv:Debian:12');
        assert.ok(((ssl as { references?: string[] }).references ?? []).includes('https://nvd.nist.gov/vuln/detail/CVE-2024-0727'));

        const counts = { critical: 0, high: 1, medium: 1, low: 0, negligible: 0, unknown: 0 };
        assert.deepEqual(report.summary?.vulnerabilities, counts);
        assert.deepEqual({ ...ev.summary?.vulnerabilities }, { $typeName: 'assay.v1.SeverityCounts', ...counts });
        // The stored head carries the version too (re-matching filters on it without reading bodies).
        assert.equal((await scanner.api!.store.reports.meta(image.digest))?.vulnDbVersion, DB_VERSION);

        const metrics = await scanner.metrics.text();
        assert.match(metrics, new RegExp(`assay_scanner_vulndb_info\\{version="${DB_VERSION}"[^}]*\\} 1`));
        assert.match(metrics, /assay_scanner_vulndb_matches_total\{via="scan"[^}]*\} 2/);
      } finally {
        await scanner.stop();
      }
    },
  );

  test(
    'without any database: the scan succeeds with the inventory, no vulnerabilities, no version, and a warning',
    { timeout: 120_000 },
    async () => {
      const dir = join(tmp.path, 'empty');
      const scanner = await startScanner(nats.url, env(dir), defaultAnalyzerRegistry);
      try {
        assert.equal(scanner.api!.vulndb.version, undefined);
        const image = await appImage([{ path: 'app/README', content: 'another image\n' }]);
        await pushImage(registry.host, 'team/app-nodb', 'v1', image);
        const { ev, report } = await scan(scanner, 'team/app-nodb', image);
        assert.ok(
          report.packages.some((p) => p.name === 'lodash' && p.version === '4.17.20'),
          'inventory still taken',
        );
        assert.ok(report.packages.some((p) => p.name === 'libssl3'));
        assert.deepEqual(report.vulnerabilities, []);
        assert.equal(report.vulnDbVersion, undefined);
        assert.equal(ev.vulnDbVersion, '');
        assert.ok(warningsOf(report).includes(NO_DB_WARNING), warningsOf(report).join('\n'));
        assert.deepEqual(report.summary?.vulnerabilities, { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 });
        assert.doesNotMatch(await scanner.metrics.text(), /assay_scanner_vulndb_info\{/);

        // Air-gapped: a database installed by hand into VULNDB_DIR is picked up by the next check,
        // and the stored report is re-matched (same report id) and announced again.
        const built = await buildDatabase({ records: [lodashAdvisory], out: join(tmp.path, 'by-hand.sqlite'), version: DB_VERSION });
        await installDatabaseFile(built.file, dir);
        const r = await scanner.api!.vulndb.checkForUpdate();
        assert.equal(r.updated, true, r.error);
        assert.equal(r.rematch?.changed, 1);
        const again = (await scanner.api!.store.reports.get(image.digest))!;
        assert.equal(again.reportId, report.reportId);
        assert.equal(again.vulnDbVersion, DB_VERSION);
        assert.deepEqual(
          again.vulnerabilities.map((v) => v.id),
          ['GHSA-35jh-r3h4-6jhm'],
        );
        assert.ok(!warningsOf(again).includes(NO_DB_WARNING), 'the warning goes once matched');
        const evs = await completed.wait(image.digest, 2, 10_000);
        assert.equal(evs[1]!.vulnDbVersion, DB_VERSION);
        assert.equal(evs[1]!.summary?.vulnerabilities?.high, 1);
      } finally {
        await scanner.stop();
      }
    },
  );
  test(
    'a scan job answered by an existing report brings it up to a database the re-match has not reached yet',
    { timeout: 120_000 },
    async () => {
      const dir = join(tmp.path, 'late');
      const scanner = await startScanner(nats.url, env(dir), defaultAnalyzerRegistry);
      try {
        const image = await appImage([{ path: 'app/LATE', content: 'a third image\n' }]);
        await pushImage(registry.host, 'team/app-late', 'v1', image);
        const { report } = await scan(scanner, 'team/app-late', image);
        assert.deepEqual(report.vulnerabilities, []);
        // A swap the re-match has not got to (as between a swap and its sweep): load directly.
        const built = await buildDatabase({ records: [opensslAdvisory], out: join(tmp.path, 'late.sqlite'), version: DB_VERSION });
        await installDatabaseFile(built.file, dir);
        scanner.api!.vulndb.holder.load(dir);
        const scansRun = scanner.api!.jobs.scansRun;
        await publishDiscovered(admin, { registry: registry.host, repository: 'team/app-late', digest: image.digest, tag: 'v1' });
        const evs = await completed.wait(image.digest, 2, 30_000);
        assert.equal(scanner.api!.jobs.scansRun, scansRun, 'answered from the stored report, not scanned again');
        assert.equal(evs[1]!.vulnDbVersion, DB_VERSION);
        assert.equal(evs[1]!.reportId, report.reportId);
        assert.equal(evs[1]!.summary?.vulnerabilities?.medium, 1);
        const stored = (await scanner.api!.store.reports.get(image.digest))!;
        assert.equal(stored.vulnDbVersion, DB_VERSION);
        assert.deepEqual(
          stored.vulnerabilities.map((v) => v.id),
          ['DEBIAN-CVE-2024-0727'],
        );
        assert.ok(!warningsOf(stored).includes(NO_DB_WARNING));
      } finally {
        await scanner.stop();
      }
    },
  );
});
