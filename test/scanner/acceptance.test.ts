// Acceptance: the scanner with the real analyzers of @assay/inventory on real images.
//  - A Debian bookworm root filesystem (mmdebstrap, cached) pushed to a real registry: the
//    report's deb packages are exactly what dpkg-query lists from the same rootfs's dpkg database
//    — every package, every version.
//  - A node_modules tree installed by `npm install`: the report's npm packages are exactly the
//    flattened `npm ls --all --json` (when the npm analyzers are there).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, mkdir, writeFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { debFullVersion, type Package } from '@assay/inventory';
import { ScanStatus } from '@assay/proto';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { debianImage, debianRootfsTar } from '../support/debian-rootfs.ts';
import { pushImage, type LayerEntry } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, type ScannerHandle } from './helpers.ts';

const run = promisify(execFile);

describe('scanner: acceptance with the real analyzers', () => {
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

  test('Debian image: the deb packages equal dpkg-query over the same rootfs', { timeout: 600_000 }, async (t) => {
    const image = await debianImage();
    await pushImage(registry.host, 'library/debian', 'bookworm', image);
    await publishDiscovered(admin, { registry: registry.host, repository: 'library/debian', digest: image.digest, tag: 'bookworm' });
    const [ev] = await completed.wait(image.digest, 1, 300_000);
    assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
    const report = await scanner.api!.store.reports.get(image.digest);
    assert.ok(report);
    assert.equal(report.os?.family, 'debian');

    const tmp = await makeTempDir('dpkg-admindir');
    try {
      await run('tar', ['-xf', await debianRootfsTar(), '-C', tmp.path, './var/lib/dpkg']);
      const { stdout } = await run('dpkg-query', ['-W', '-f=${Package}\\t${Version}\\n', `--admindir=${join(tmp.path, 'var/lib/dpkg')}`], {
        maxBuffer: 16 * 1024 * 1024,
      });
      const expected = stdout.split('\n').filter(Boolean).sort();
      assert.ok(expected.length > 50, `dpkg-query listed ${expected.length} packages`);
      const got = report.packages
        .filter((p) => p.type === 'deb')
        .map((p) => `${p.name}\t${debFullVersion(p as unknown as Package)}`)
        .sort();
      assert.deepEqual(got, expected);
      for (const p of report.packages) {
        assert.equal(p.layerDigest, image.layers[0]!.digest);
        // the OS found in the same layer reached the dpkg analyzer (group analyzers run OS-first)
        assert.match(p.purl ?? '', /^pkg:deb\/debian\/[^?]+\?(.*&)?distro=debian-12/);
      }
    } finally {
      await tmp.remove();
    }
  });

  test('node_modules installed by npm: the npm packages equal `npm ls --all`', { timeout: 600_000 }, async () => {
    const tmp = await makeTempDir('npm-app');
    try {
      const app = join(tmp.path, 'app');
      await mkdir(app, { recursive: true });
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scan-me', version: '1.0.0', private: true }));
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefix', app, 'ms@2.1.3', 'debug@4.3.4', 'semver@7.6.0'], {
        maxBuffer: 16 * 1024 * 1024,
      });
      const ls = JSON.parse((await run('npm', ['ls', '--all', '--json', '--prefix', app], { maxBuffer: 16 * 1024 * 1024 })).stdout) as {
        dependencies?: Record<string, LsNode>;
      };
      const expected = new Set<string>();
      const visit = (deps: Record<string, LsNode> | undefined) => {
        for (const [name, node] of Object.entries(deps ?? {})) {
          if (node.version) expected.add(`${name}@${node.version}`);
          visit(node.dependencies);
        }
      };
      visit(ls.dependencies);
      assert.ok(expected.size >= 3);
      const entries: LayerEntry[] = [];
      const walkDir = async (dir: string) => {
        for (const name of await readdir(dir)) {
          const p = join(dir, name);
          const s = await stat(p);
          if (s.isDirectory()) await walkDir(p);
          else if (s.isFile()) entries.push({ path: `srv/${relative(tmp.path, p)}`, content: await readFile(p) });
        }
      };
      await walkDir(app);
      const image = await debianImage({ layers: [entries] });
      await pushImage(registry.host, 'team/node-app', 'v1', image);
      await publishDiscovered(admin, { registry: registry.host, repository: 'team/node-app', digest: image.digest });
      const [ev] = await completed.wait(image.digest, 1, 300_000);
      assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
      const report = await scanner.api!.store.reports.get(image.digest);
      const got = new Set(report!.packages.filter((p) => p.type === 'npm' && p.name !== 'scan-me').map((p) => `${p.name}@${p.version}`));
      assert.deepEqual([...got].sort(), [...expected].sort());
    } finally {
      await tmp.remove();
    }
  });
});

interface LsNode {
  version?: string;
  dependencies?: Record<string, LsNode>;
}
