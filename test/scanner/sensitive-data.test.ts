// Sensitive data and licences through the scanner with the real analyzers: the seed's example
// (Debian's ssl-cert package puts its snakeoil private key under /etc/ssl/private) is reported
// with its path and layer, masked; a secret added in one layer and deleted in the next is still
// reported (it is still in the image); no secret value reaches the stored report.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { ScanStatus } from '@assay/proto';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { debianImage } from '../support/debian-rootfs.ts';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, type ScannerHandle } from './helpers.ts';

// Built at run time so the repository holds no key-shaped literal.
const AWS_KEY_ID = ['AKIA', 'Z3QV', '7WXM', 'K2PL', '9RTB'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENGbPxRfi', 'CYzEXAMPLEKEY'].join('/');

describe('scanner: sensitive data and licences', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let scanner: ScannerHandle;

  before(async () => {
    [nats, registry] = await Promise.all([startNatsServer(), startRegistry()]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    scanner = await startScanner(
      nats.url,
      { SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]) },
      defaultAnalyzerRegistry,
    );
  });
  after(async () => {
    completed?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
  });

  async function scan(repository: string, image: { digest: string }) {
    await publishDiscovered(admin, { registry: registry.host, repository, digest: image.digest, tag: 'v1' });
    const [ev] = await completed.wait(image.digest, 1, 300_000);
    assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
    const report = await scanner.api!.store.reports.get(image.digest);
    assert.ok(report);
    return report;
  }

  test('Debian with ssl-cert: the snakeoil private key is reported with its path and layer, masked', { timeout: 600_000 }, async () => {
    const image = await debianImage({ include: ['ssl-cert'] });
    await pushImage(registry.host, 'library/debian-ssl', 'v1', image);
    const report = await scan('library/debian-ssl', image);
    const key = report.sensitiveData?.find((f) => f.path === 'etc/ssl/private/ssl-cert-snakeoil.key');
    assert.ok(key, `snakeoil key reported (got ${JSON.stringify(report.sensitiveData?.map((f) => f.path))})`);
    assert.equal(key.rule, 'private-key');
    assert.equal(key.layerDigest, image.layers[0]!.digest);
    assert.match(key.masked, /\*{8,}/);
    assert.equal(report.summary?.sensitiveFindings, report.sensitiveData?.length);
    // The key body never leaves the scanner: no base64 run of key material in the stored report.
    assert.doesNotMatch(JSON.stringify(report), /MII[A-Za-z0-9+/]{40,}/);

    // Licences: normalised to SPDX from the DEP-5 copyright files; unknown ones stay unknown.
    const byPkg = new Map((report.licences ?? []).map((l) => [l.package, l]));
    const libc = [...byPkg.entries()].find(([p]) => p.startsWith('libc6@'));
    assert.ok(libc, `libc6 has a licence row (got ${[...byPkg.keys()].slice(0, 8).join(', ')})`);
    assert.ok((report.licences ?? []).some((l) => l.known === true && /^[A-Za-z0-9.+-]+( (AND|OR|WITH) .+)?$/.test(l.licence)));
    assert.equal(report.summary?.licenceFindings, (report.licences ?? []).filter((l) => !l.known).length);
  });

  test('a secret added in one layer and deleted in the next is still reported, from the layer that holds it', async () => {
    const env = `# deploy settings\nAWS_ACCESS_KEY_ID=${AWS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET}\n`;
    const image = await buildImage({
      layers: [
        [
          { path: 'app/', type: 'dir' },
          { path: 'app/.env', content: env },
        ],
        [{ path: 'app/.wh..env', content: '' }],
      ],
    });
    await pushImage(registry.host, 'team/leaky', 'v1', image);
    const report = await scan('team/leaky', image);
    const findings = (report.sensitiveData ?? []).filter((f) => f.path === 'app/.env');
    assert.ok(findings.length >= 1, `finding in app/.env (got ${JSON.stringify(report.sensitiveData)})`);
    for (const f of findings) assert.equal(f.layerDigest, image.layers[0]!.digest);
    assert.ok(findings.some((f) => /aws/i.test(f.rule)));
    const json = JSON.stringify(report);
    assert.ok(!json.includes(AWS_KEY_ID), 'the key id never reaches the report');
    assert.ok(!json.includes(AWS_SECRET), 'the secret never reaches the report');
    assert.ok(
      (report as { deletedFiles?: { path: string }[] }).deletedFiles?.some((d) => d.path === 'app/.env'),
      'the deletion is recorded',
    );
  });
});
