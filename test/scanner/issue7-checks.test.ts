// Custom compliance checks, base-image identification and CycloneDX vulnerabilities through the
// scanner with a real nats-server and registry: file checks see the final filesystem (a file
// deleted by an upper layer is absent, a file replaced upstairs is read from the upper layer), a
// non-root check resolves the configured user through the image's /etc/passwd (read, never run);
// an image built on a registered base's layers names it; the SBOM carries the vulnerability
// findings linked to their components.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { ConfigError } from '@assay/config';
import { ScanStatus } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { scannerService } from '@assay/scanner';
import type { ScanReport } from '@assay/domain';
import { buildDatabase, dbPath } from '@assay/vulndb';
import { buildImage, pushImage, type BuiltImage, type LayerEntry } from '../support/oci-image.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, type ScannerHandle } from './helpers.ts';

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

const CHECKS = [
  { id: 'app-config-present', kind: 'fileExists', path: '/etc/app/app.conf' },
  { id: 'no-root-ssh-key', kind: 'fileAbsent', path: '/root/.ssh/id_rsa' },
  { id: 'tls-on', kind: 'fileContentMatches', path: '/etc/app/app.conf', pattern: '^tls\\s*=\\s*on$', flags: 'm' },
  { id: 'non-root', kind: 'nonRootUser' },
  { id: 'labelled', kind: 'requiredLabels', labels: ['org.opencontainers.image.source'] },
];

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/home/app:/sbin/nologin\n';

const baseLayer: LayerEntry[] = [
  { path: 'etc/', type: 'dir' },
  { path: 'etc/os-release', content: 'ID=testos\nVERSION_ID=1\n' },
  { path: 'etc/passwd', content: PASSWD },
  { path: 'root/', type: 'dir' },
  { path: 'root/.ssh/', type: 'dir' },
  { path: 'root/.ssh/id_rsa', content: 'not really a key\n' },
];

describe('scanner: checks and base images configuration', () => {
  test('SCANNER_CHECKS and SCANNER_BASE_IMAGES: parsed (JSON or YAML); bad ones named in one line', () => {
    const c = createService(scannerService, { env: { SCANNER_CHECKS: JSON.stringify(CHECKS) } }).config;
    assert.deepEqual(
      c.SCANNER_CHECKS.map((x) => x.id),
      CHECKS.map((x) => x.id),
    );
    const y = createService(scannerService, { env: { SCANNER_CHECKS: '- id: x\n  kind: fileExists\n  path: /bin/sh\n' } }).config;
    assert.equal(y.SCANNER_CHECKS[0]?.kind, 'fileExists');
    assert.deepEqual(createService(scannerService, { env: {} }).config.SCANNER_CHECKS, []);
    assert.match(
      configError({ SCANNER_CHECKS: JSON.stringify([{ id: 'x', kind: 'fileExists' }]) }),
      /SCANNER_CHECKS.*SCANNER_CHECKS\[0\]\.path/,
    );
    assert.match(
      configError({ SCANNER_CHECKS: JSON.stringify([{ id: 'x', kind: 'fileContentMatches', path: '/a', pattern: '(' }]) }),
      /SCANNER_CHECKS\[0\]\.pattern.*regular expression/,
    );
    assert.match(configError({ SCANNER_CHECKS: JSON.stringify([{ id: 'x', kind: 'runScript' }]) }), /SCANNER_CHECKS\[0\]\.kind/);
    assert.match(configError({ SCANNER_CHECKS: '{not: [valid' }), /SCANNER_CHECKS.*JSON or YAML/);

    const d = `sha256:${'a'.repeat(64)}`;
    const b = createService(scannerService, {
      env: { SCANNER_BASE_IMAGES: JSON.stringify([{ name: 'debian:12', digest: d, diffIds: [d] }]) },
    }).config;
    assert.deepEqual(b.SCANNER_BASE_IMAGES, [{ name: 'debian:12', digest: d, diffIds: [d] }]);
    assert.match(
      configError({ SCANNER_BASE_IMAGES: JSON.stringify([{ name: 'debian:12', digest: 'latest', diffIds: [d] }]) }),
      /SCANNER_BASE_IMAGES\[0\]\.digest/,
    );
    assert.match(
      configError({ SCANNER_BASE_IMAGES: JSON.stringify([{ name: 'debian:12', digest: d, diffIds: [] }]) }),
      /SCANNER_BASE_IMAGES\[0\]\.diffIds/,
    );
  });
});

describe('scanner: checks, base image, CycloneDX vulnerabilities', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let tmp: { path: string; remove(): Promise<void> };
  let scanner: ScannerHandle | undefined;
  let base: BuiltImage;

  before(async () => {
    [nats, registry, tmp] = await Promise.all([startNatsServer(), startRegistry(), makeTempDir('scanner-issue7')]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    base = await buildImage({ layers: [baseLayer] });
  });
  after(async () => {
    completed?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
    await tmp?.remove();
  });

  async function withScanner(env: Record<string, string>, analyzers = defaultAnalyzerRegistry): Promise<ScannerHandle> {
    await scanner?.stop();
    scanner = await startScanner(
      nats.url,
      { SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]), ...env },
      analyzers,
    );
    return scanner;
  }

  async function scan(repository: string, image: { digest: string }): Promise<ScanReport> {
    await publishDiscovered(admin, { registry: registry.host, repository, digest: image.digest, tag: 'v1' });
    const [ev] = await completed.wait(image.digest, 1, 60_000);
    assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
    const report = await scanner!.api!.store.reports.get(image.digest);
    assert.ok(report);
    return report;
  }

  const byId = (r: ScanReport) => Object.fromEntries((r.checks ?? []).map((c) => [c.id, c]));

  test('checks pass on a compliant image: the key deleted upstairs is absent, the config replaced upstairs is read from the top', async () => {
    await withScanner({ SCANNER_CHECKS: JSON.stringify(CHECKS) });
    const image = await buildImage({
      layers: [
        [...baseLayer, { path: 'etc/app/', type: 'dir' }, { path: 'etc/app/app.conf', content: 'tls = off\n' }],
        [
          { path: 'root/.ssh/.wh.id_rsa', content: '' },
          { path: 'etc/app/', type: 'dir' },
          { path: 'etc/app/app.conf', content: 'name = demo\ntls = on\n' },
        ],
      ],
      config: { User: 'app', Labels: { 'org.opencontainers.image.source': 'https://example.test/app' } },
    });
    await pushImage(registry.host, 'team/compliant', 'v1', image);
    const report = await scan('team/compliant', image);
    const c = byId(report);
    assert.deepEqual(
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.passed])),
      { 'app-config-present': true, 'no-root-ssh-key': true, 'tls-on': true, 'non-root': true, labelled: true },
      JSON.stringify(report.checks),
    );
    assert.match(c['non-root']!.message ?? '', /uid 10001/);
  });

  test('checks fail on a non-compliant image, each saying why', async () => {
    const image = await buildImage({
      layers: [
        baseLayer,
        // The whole directory made opaque: the lower app.conf is gone.
        [
          { path: 'etc/app/', type: 'dir' },
          { path: 'etc/app/.wh..wh..opq', content: '' },
          { path: 'etc/app/other.conf', content: 'tls = on\n' },
        ],
      ],
      config: { User: 'root' },
    });
    await pushImage(registry.host, 'team/noncompliant', 'v1', image);
    const report = await scan('team/noncompliant', image);
    const c = byId(report);
    assert.equal(c['app-config-present']?.passed, false);
    assert.match(c['app-config-present']!.message ?? '', /does not exist/);
    assert.equal(c['no-root-ssh-key']?.passed, false);
    assert.match(c['no-root-ssh-key']!.message ?? '', /is present/);
    assert.equal(c['tls-on']?.passed, false);
    assert.equal(c['non-root']?.passed, false);
    assert.match(c['non-root']!.message ?? '', /root/);
    assert.equal(c.labelled?.passed, false);

    // Opaque-directory case: app.conf existed in the lower layer, is hidden by the upper one.
    const hidden = await buildImage({
      layers: [
        [...baseLayer, { path: 'etc/app/', type: 'dir' }, { path: 'etc/app/app.conf', content: 'tls = on\n' }],
        [
          { path: 'etc/app/', type: 'dir' },
          { path: 'etc/app/.wh..wh..opq', content: '' },
        ],
      ],
      config: { User: '10001' },
    });
    await pushImage(registry.host, 'team/opaque', 'v1', hidden);
    const h = byId(await scan('team/opaque', hidden));
    assert.equal(h['app-config-present']?.passed, false, JSON.stringify(h['app-config-present']));
    assert.equal(h['non-root']?.passed, true);
  });

  test('an image built on a registered base is identified by its layers; an annotation alone is reported as a claim', async () => {
    await withScanner({
      SCANNER_BASE_IMAGES: JSON.stringify([
        { name: 'assay.test/base:1', digest: base.digest, diffIds: base.layers.map((l) => l.diffId) },
        { name: 'assay.test/other:1', digest: `sha256:${'b'.repeat(64)}`, diffIds: [`sha256:${'c'.repeat(64)}`] },
      ]),
    });
    const app = await buildImage({
      layers: [
        { built: base.layers[0]! },
        [
          { path: 'app/', type: 'dir' },
          { path: 'app/main.js', content: 'x\n' },
        ],
      ],
      annotations: { 'org.opencontainers.image.base.name': 'assay.test/base:1', 'org.opencontainers.image.base.digest': base.digest },
    });
    await pushImage(registry.host, 'team/on-base', 'v1', app);
    const report = await scan('team/on-base', app);
    assert.equal(report.baseImage, 'assay.test/base:1');
    assert.deepEqual(report['baseImageMatch'], {
      name: 'assay.test/base:1',
      digest: base.digest,
      matchedLayers: 1,
      source: 'layers',
      confirmed: true,
    });
    assert.equal(report.summary?.baseImage, 'assay.test/base:1');

    const squashed = await buildImage({
      layers: [
        [
          { path: 'bin/', type: 'dir' },
          { path: 'bin/tool', content: 'y\n' },
        ],
      ],
      annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/alpine:3.20' },
    });
    await pushImage(registry.host, 'team/claimed', 'v1', squashed);
    const claimed = await scan('team/claimed', squashed);
    assert.equal(claimed.baseImage, 'docker.io/library/alpine:3.20');
    assert.deepEqual(claimed['baseImageMatch'], { name: 'docker.io/library/alpine:3.20', matchedLayers: 0, source: 'annotation' });

    const unrelated = await buildImage({ layers: [[{ path: 'z', content: 'z\n' }]] });
    await pushImage(registry.host, 'team/unrelated', 'v1', unrelated);
    const none = await scan('team/unrelated', unrelated);
    assert.equal(none.baseImage, undefined);
    assert.equal(none['baseImageMatch'], undefined);
  });

  test('CycloneDX: vulnerabilities from the database, linked to the affected component, with rating, source and advisories', async () => {
    const dir = join(tmp.path, 'vulndb');
    await mkdir(dir, { recursive: true });
    await buildDatabase({
      records: [
        {
          id: 'GHSA-35jh-r3h4-6jhm',
          modified: '2024-01-01T00:00:00Z',
          aliases: ['CVE-2021-23337'],
          summary: 'Command Injection in lodash',
          severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
          affected: [
            {
              package: { ecosystem: 'npm', name: 'lodash' },
              ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
            },
          ],
          references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' }],
        },
      ],
      out: dbPath(dir),
      version: '20260101T000000Z',
    });
    const s = await withScanner({ VULNDB_DIR: dir, VULNDB_CHECK_INTERVAL: '0' });
    const image = await buildImage({
      layers: [
        [
          { path: 'app/', type: 'dir' },
          { path: 'app/node_modules/', type: 'dir' },
          { path: 'app/node_modules/lodash/', type: 'dir' },
          { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
        ],
      ],
    });
    await pushImage(registry.host, 'team/vulnerable', 'v1', image);
    const report = await scan('team/vulnerable', image);
    assert.equal(report.vulnerabilities.length, 1);

    const res = await fetch(`${s.address}/reports/${image.digest}/sbom`);
    assert.equal(res.status, 200);
    const bom = (await res.json()) as {
      specVersion: string;
      components: { 'bom-ref': string; name: string; licenses?: { license?: { id?: string } }[] }[];
      vulnerabilities?: {
        id: string;
        source?: { name?: string };
        ratings?: { severity?: string; score?: number; method?: string; vector?: string }[];
        affects?: { ref: string; versions?: { version?: string; status?: string }[] }[];
        advisories?: { url: string }[];
        references?: { id: string }[];
        recommendation?: string;
      }[];
    };
    assert.equal(bom.specVersion, '1.6');
    const lodash = bom.components.find((c) => c.name === 'lodash');
    assert.ok(lodash);
    assert.deepEqual(lodash.licenses, [{ license: { id: 'MIT' } }], 'licences as SPDX ids');
    assert.equal(bom.vulnerabilities?.length, 1, JSON.stringify(bom.vulnerabilities));
    const v = bom.vulnerabilities![0]!;
    assert.equal(v.id, 'GHSA-35jh-r3h4-6jhm');
    assert.equal(v.source?.name, 'osv:npm');
    assert.deepEqual(v.affects, [{ ref: lodash['bom-ref'], versions: [{ version: '4.17.20', status: 'affected' }] }]);
    assert.equal(v.ratings?.[0]?.severity, 'high');
    assert.equal(v.ratings?.[0]?.score, 7.2);
    assert.equal(v.ratings?.[0]?.method, 'CVSSv31');
    assert.ok(
      v.advisories?.some((a) => a.url === 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337'),
      JSON.stringify(v.advisories),
    );
    assert.deepEqual(
      v.references?.map((r) => r.id),
      ['CVE-2021-23337'],
    );
    assert.match(v.recommendation ?? '', /4\.17\.21/);
  });
});
