// Acceptance for issue 7 on a real image: a Debian bookworm root filesystem (cached, ~180 MB
// uncompressed, thousands of files: over CLAMD_MAX_STREAM, so clamd sees it file by file) with an
// application layer on top holding the EICAR file and deleting a Debian file; real clamd, the
// real analyzers, a real registry and nats-server. One scan gives the malware finding (signature,
// path, layer), the custom checks over the final filesystem, the registered base image by its
// layers, and SARIF; memory stays bounded (the big layer is never held whole).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { ScanStatus } from '@assay/proto';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { debianImage } from '../support/debian-rootfs.ts';
import { EICAR_DETECTION, eicarBytes, startClamd, type Clamd } from '../support/clamd.ts';
import { pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { CompletedEvents, connectAdmin, peakRss, publishDiscovered, startScanner, type ScannerHandle } from './helpers.ts';

describe('scanner: issue 7 acceptance on a Debian image', () => {
  let nats: NatsServer;
  let registry: Registry;
  let clamd: Clamd;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let scanner: ScannerHandle;

  before(async () => {
    [nats, registry, clamd] = await Promise.all([startNatsServer(), startRegistry(), startClamd()]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
  });
  after(async () => {
    completed?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close(), clamd?.close()]);
  });

  test('malware, checks, base image and SARIF in one scan', { timeout: 900_000 }, async () => {
    const image = await debianImage({
      layers: [
        [
          { path: 'usr/', type: 'dir' },
          { path: 'usr/local/', type: 'dir' },
          { path: 'usr/local/share/', type: 'dir' },
          { path: 'usr/local/share/samples/', type: 'dir' },
          { path: 'usr/local/share/samples/eicar.com', content: eicarBytes() },
          { path: 'etc/', type: 'dir' },
          { path: 'etc/.wh.issue', content: '' },
        ],
      ],
      config: { User: 'nobody' },
    });
    const debian = image.layers[0]!;
    scanner = await startScanner(
      nats.url,
      {
        SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
        CLAMD_ADDRESS: `${clamd.host}:${clamd.port}`,
        SCANNER_CHECKS: JSON.stringify([
          { id: 'debian', kind: 'fileContentMatches', path: '/etc/debian_version', pattern: '^12\\.' },
          { id: 'no-issue-banner', kind: 'fileAbsent', path: '/etc/issue' },
          { id: 'has-passwd', kind: 'fileExists', path: '/etc/passwd' },
          { id: 'non-root', kind: 'nonRootUser' },
          { id: 'no-curl', kind: 'packageAbsent', name: 'curl' },
        ]),
        SCANNER_BASE_IMAGES: JSON.stringify([
          { name: 'docker.io/library/debian:bookworm', digest: `sha256:${'d'.repeat(64)}`, diffIds: [debian.diffId] },
        ]),
      },
      defaultAnalyzerRegistry,
    );
    await pushImage(registry.host, 'library/debian-app', 'v1', image);

    const { result, error, peakMb } = await peakRss(async () => {
      await publishDiscovered(admin, { registry: registry.host, repository: 'library/debian-app', digest: image.digest, tag: 'v1' });
      return completed.wait(image.digest, 1, 850_000);
    });
    assert.ifError(error);
    const ev = result![0]!;
    assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
    const report = await scanner.api!.store.reports.get(image.digest);
    assert.ok(report);

    assert.deepEqual(report.malware, [
      { name: EICAR_DETECTION, path: 'usr/local/share/samples/eicar.com', layerDigest: image.layers[1]!.digest },
    ]);
    assert.equal(ev.summary?.malwareFindings, 1);
    assert.match(String(report['malwareDb']), /^ClamAV /);

    const checks = Object.fromEntries((report.checks ?? []).map((c) => [c.id, c]));
    assert.equal(checks.debian?.passed, true, checks.debian?.message);
    assert.equal(checks['no-issue-banner']?.passed, true, checks['no-issue-banner']?.message);
    assert.equal(checks['has-passwd']?.passed, true);
    assert.equal(checks['non-root']?.passed, true, checks['non-root']?.message);
    assert.match(checks['non-root']!.message ?? '', /uid 65534/);
    assert.equal(checks['no-curl']?.passed, true, checks['no-curl']?.message);

    assert.equal(report.baseImage, 'docker.io/library/debian:bookworm');
    assert.equal((report['baseImageMatch'] as { source?: string }).source, 'layers');

    const sarif = (await (await fetch(`${scanner.address}/reports/${image.digest}/sarif`)).json()) as {
      version: string;
      runs: { results: { ruleId: string }[] }[];
    };
    assert.equal(sarif.version, '2.1.0');
    assert.ok(sarif.runs[0]!.results.some((r) => r.ruleId === `malware/${EICAR_DETECTION}`));

    // The Debian layer (~180 MB inflated) is far over CLAMD_MAX_STREAM: never held whole.
    assert.ok(peakMb < 700, `peak RSS ${peakMb.toFixed(0)} MB`);
    console.log(`issue7 acceptance: peak RSS ${peakMb.toFixed(0)} MB, ${report.packages.length} packages`);
  });
});
