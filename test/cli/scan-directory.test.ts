// `assay scan <dir>` (a project, like `trivy fs`) and `assay scan --rootfs <dir>` (an unpacked
// root filesystem, like `trivy rootfs`) through the launcher: the same analyzers as an image,
// symlinks never followed, special files skipped, a digest that names the content; every output
// format; and vulnerability data on the first run, fetched from a local server laid out as
// osv.dev's exports (`<base>/<Ecosystem>/all.zip`), built from public OSV records.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { debianImage, debianRootfsTar } from '../support/debian-rootfs.ts';
import { writeOciLayout } from '../support/oci-image.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runAssay } from './helpers.ts';

const ADVISORIES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors', '07-osv', 'advisories');
/** lodash < 4.17.21 (command injection), from the GitHub Advisory Database. */
const LODASH_GHSA = 'github-advisory-database/GHSA-35jh-r3h4-6jhm.json';

/** A PEM-shaped private key made at run time from random bytes: nothing key-shaped is stored in the repository. */
function generatedKey(): string {
  const kind = ['RSA', 'PRIVATE', 'KEY'].join(' ');
  const body = randomBytes(600)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

/** npm lockfile v3 (npm's own format, as `npm install` writes it) holding lodash 4.17.20. */
const PACKAGE_LOCK = JSON.stringify({
  name: 'shop',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'shop', version: '1.0.0', dependencies: { lodash: '4.17.20' } },
    'node_modules/lodash': {
      version: '4.17.20',
      resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz',
      license: 'MIT',
    },
  },
});

interface Report {
  image: { registry: string; repository: string; digest: string; mediaType?: string };
  os?: { family: string; version?: string };
  packages: { name: string; version: string; type: string; purl?: string }[];
  sensitiveData: { rule: string; path: string; masked: string }[];
  vulnerabilities: { id: string; packageName: string }[];
  vulnDbVersion?: string;
  warnings: string[];
}

/** A server laid out as osv.dev's export bucket; `exports` maps an ecosystem to its zip. Requests are counted. */
async function exportServer(exports: Map<string, Buffer>) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/all\.zip$/.exec(req.url ?? '');
    const zip = m ? exports.get(decodeURIComponent(m[1]!)) : undefined;
    if (!zip) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('assay scan <directory> and --rootfs', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let project: string;
  let keyText: string;
  const offline = () => ({ ASSAY_OFFLINE: '1', ASSAY_CACHE_DIR: join(tmp.path, 'no-cache') });
  const json = async (args: string[], env: Record<string, string> = offline()) => {
    const r = await runAssay([...args, '--format', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    return { report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
  };

  before(async () => {
    tmp = await makeTempDir('cli-scan-dir');
    project = join(tmp.path, 'shop');
    await mkdir(join(project, 'config'), { recursive: true });
    await mkdir(join(project, '.git'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', dependencies: { lodash: '4.17.20' } }));
    await writeFile(join(project, 'package-lock.json'), PACKAGE_LOCK);
    await writeFile(join(project, 'config', 'server.key'), (keyText = generatedKey()));
    // Outside the directory: a key and a lockfile that only symlinks reach.
    const outside = join(tmp.path, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'other.key'), generatedKey());
    await writeFile(
      join(outside, 'package-lock.json'),
      PACKAGE_LOCK.replaceAll('lodash', 'left-pad').replaceAll('4.17.20', '1.0.0').replace('"MIT"', '"WTFPL"'),
    );
    await symlink(join(outside, 'other.key'), join(project, 'leak.key'));
    await symlink(outside, join(project, 'vendor'));
    await symlink('../../outside', join(project, 'config', 'up'));
    // In .git: skipped like Trivy does.
    await writeFile(join(project, '.git', 'server.key'), generatedKey());
    execFileSync('mkfifo', [join(project, 'pipe')]);
  });
  after(async () => {
    await tmp?.remove();
  });

  it('a project: lockfile packages and a planted key (masked), nothing through symlinks, special files skipped', async () => {
    const { report } = await json(['scan', project]);
    assert.equal(report.image.registry, 'local');
    assert.equal(report.image.repository, 'filesystem/shop');
    assert.match(report.image.digest, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(
      report.packages.map((p) => `${p.type}:${p.name}@${p.version}`),
      ['npm:lodash@4.17.20'],
    );
    assert.deepEqual(
      report.sensitiveData.map((f) => `${f.rule}@${f.path}`),
      ['private-key@config/server.key'],
    );
    const out = JSON.stringify(report);
    const keyLine = keyText.split('\n')[1]!;
    assert.ok(!out.includes(keyLine.slice(0, 24)), 'the key itself never reaches the report');
    assert.ok(
      report.warnings.some((w) => /pipe: not a regular file, directory or symlink \(skipped\)/.test(w)),
      report.warnings.join('\n'),
    );
    assert.ok(!out.includes('left-pad'));
  });

  it('the digest names the content: the same for the same files, another when a byte changes', async () => {
    const first = (await json(['scan', project])).report.image.digest;
    const again = (await json(['scan', project])).report.image.digest;
    assert.equal(again, first);
    const copy = join(tmp.path, 'copy');
    await mkdir(copy);
    await writeFile(join(copy, 'package-lock.json'), PACKAGE_LOCK);
    const a = (await json(['scan', copy])).report.image.digest;
    await writeFile(join(copy, 'package-lock.json'), `${PACKAGE_LOCK}\n`);
    const b = (await json(['scan', copy])).report.image.digest;
    assert.notEqual(a, b);
  });

  it('table, SARIF and CycloneDX for a directory', async () => {
    const table = await runAssay(['scan', project], { env: offline() });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Image: local\/filesystem\/shop@sha256:[a-f0-9]{64}$/m);
    assert.match(table.stdout, /  sensitive data\s+1 \(1 high\)/);
    const sarif = await runAssay(['scan', project, '-f', 'sarif'], { env: offline() });
    assert.equal(sarif.code, 0, sarif.stderr);
    const log = JSON.parse(sarif.stdout) as {
      runs: { results: { locations?: { physicalLocation?: { artifactLocation?: { uri?: string } } }[] }[] }[];
    };
    const uris = log.runs[0]!.results.flatMap((r) => r.locations ?? []).map((l) => l.physicalLocation?.artifactLocation?.uri);
    assert.ok(
      uris.some((u) => u?.endsWith('config/server.key')),
      JSON.stringify(uris),
    );
    const cdx = await runAssay(['scan', project, '-f', 'cyclonedx'], { env: offline() });
    assert.equal(cdx.code, 0, cdx.stderr);
    const bom = JSON.parse(cdx.stdout) as { components: { purl?: string }[] };
    assert.ok(bom.components.some((c) => c.purl === 'pkg:npm/lodash@4.17.20'));
  });

  it('--rootfs on a real Debian root filesystem: the OS and packages the same files give as an image', { timeout: 600_000 }, async (t) => {
    const have = (cmd: string) => {
      try {
        execFileSync(cmd, ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    if (!have('mmdebstrap') || !have('tar')) return t.skip('mmdebstrap or tar missing');
    const tarball = await debianRootfsTar();
    const rootfs = join(tmp.path, 'debian');
    await mkdir(rootfs);
    // Device nodes need root to make: left out (the scan skips them anyway).
    execFileSync('tar', ['-xf', tarball, '-C', rootfs, '--exclude=./dev/*'], { stdio: 'ignore' });
    const layout = join(tmp.path, 'debian-layout');
    await writeOciLayout(layout, [{ tag: 'bookworm', image: await debianImage() }]);

    const fromDir = (await json(['scan', '--rootfs', rootfs])).report;
    const fromImage = (await json(['scan', layout])).report;
    assert.equal(fromDir.image.repository, 'rootfs/debian');
    assert.equal(fromDir.os?.family, 'debian');
    assert.equal(fromDir.os?.version, fromImage.os?.version);
    const purls = (r: Report) => r.packages.map((p) => p.purl).sort();
    assert.ok(fromDir.packages.filter((p) => p.type === 'deb').length > 50);
    assert.deepEqual(purls(fromDir), purls(fromImage));
    assert.ok(fromDir.packages.some((p) => p.name === 'ca-certificates'));

    // Not a directory: said plainly.
    const bad = await runAssay(['scan', '--rootfs', join(tmp.path, 'nope')], { env: offline() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--rootfs .*nope: not a directory/);
  });

  describe('vulnerability data on the first run (osv.dev export layout on a local server)', () => {
    let server: Awaited<ReturnType<typeof exportServer>>;
    before(async () => {
      if (!existsSync(ADVISORIES)) return;
      const record = readFileSync(join(ADVISORIES, LODASH_GHSA));
      server = await exportServer(new Map([['npm', Buffer.from(zipSync({ 'GHSA-35jh-r3h4-6jhm.json': record }))]]));
    });
    after(async () => {
      await server?.close();
    });

    it('fetched for the ecosystems found, matched, then served from the cache', async (t) => {
      if (!server) return t.skip(`OSV vectors absent (${ADVISORIES})`);
      const cache = join(tmp.path, 'cache-1');
      const env = { ASSAY_OFFLINE: '', ASSAY_CACHE_DIR: cache, ASSAY_OSV_URL: server.url };
      const first = await json(['scan', project], env);
      assert.deepEqual(server.requests, ['/npm/all.zip']);
      assert.match(first.stderr, new RegExp(`vulnerability data for npm from ${server.url}`));
      assert.ok(first.report.vulnDbVersion);
      assert.deepEqual(
        first.report.vulnerabilities.map((v) => `${v.id} ${v.packageName}`),
        ['GHSA-35jh-r3h4-6jhm lodash'],
      );
      assert.ok(existsSync(join(cache, 'vulndb', 'vulndb.sqlite')));
      const second = await json(['scan', project], env);
      assert.equal(server.requests.length, 1, 'the cached database covers npm: nothing fetched again');
      assert.equal(second.report.vulnDbVersion, first.report.vulnDbVersion);
      assert.equal(second.report.vulnerabilities.length, 1);
    });

    it('an export that cannot be downloaded: "not checked", with the URL and the reason; the scan completes', async (t) => {
      if (!server) return t.skip(`OSV vectors absent (${ADVISORIES})`);
      const rootless = join(tmp.path, 'py');
      await mkdir(rootless);
      await writeFile(join(rootless, 'requirements.txt'), 'requests==2.19.0\n');
      const env = { ASSAY_OFFLINE: '', ASSAY_CACHE_DIR: join(tmp.path, 'cache-2'), ASSAY_OSV_URL: server.url };
      const r = await runAssay(['scan', rootless], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Vulnerabilities: not checked/m);
      assert.match(r.stderr, new RegExp(`no vulnerability data: not checked — could not download ${server.url}/PyPI/all\\.zip: HTTP 404`));
      // Nothing listening (a port just released): the reason says so.
      const gone = http.createServer();
      await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
      const port = (gone.address() as AddressInfo).port;
      await new Promise<void>((r) => gone.close(() => r()));
      const refused = await runAssay(['scan', rootless], { env: { ...env, ASSAY_OSV_URL: `http://127.0.0.1:${port}` } });
      assert.equal(refused.code, 0, refused.stderr);
      assert.match(refused.stderr, new RegExp(`could not download http://127\\.0\\.0\\.1:${port}/PyPI/all\\.zip: .*ECONNREFUSED`));
    });

    it('assay vulndb update --ecosystem builds from the exports; a failed update keeps the installed database', async (t) => {
      if (!server) return t.skip(`OSV vectors absent (${ADVISORIES})`);
      const dir = join(tmp.path, 'db');
      const ok = await runAssay(['vulndb', 'update', '--ecosystem', 'npm', '--dir', dir, '--osv-url', server.url]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /installed version \S+ in .*vulndb\.sqlite \(1 records from http:\/\/127\.0\.0\.1:\d+\/npm\/all\.zip\)/);
      const info = await runAssay(['vulndb', 'info', dir, '--output', 'json']);
      const meta = JSON.parse(info.stdout) as { version: string; sources: { source: string; kind: string }[] };
      assert.deepEqual(
        meta.sources.map((s) => `${s.kind} ${s.source}`),
        [`zip ${server.url}/npm/all.zip`],
      );
      const failed = await runAssay(['vulndb', 'update', '--ecosystem', 'npm,Go', '--dir', dir, '--osv-url', server.url]);
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /could not download http:\/\/127\.0\.0\.1:\d+\/Go\/all\.zip: HTTP 404/);
      const still = JSON.parse((await runAssay(['vulndb', 'info', dir, '--output', 'json'])).stdout) as { version: string };
      assert.equal(still.version, meta.version);
      // The database is used by --vulndb as any other.
      const matched = await json(['scan', project, '--vulndb', dir]);
      assert.deepEqual(
        matched.report.vulnerabilities.map((v) => v.id),
        ['GHSA-35jh-r3h4-6jhm'],
      );
      const none = await runAssay(['vulndb', 'update', '--dir', dir]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /--ecosystem/);
    });
  });
});
