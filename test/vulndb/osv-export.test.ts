// Databases built from osv.dev's per-ecosystem exports (`<base>/<Ecosystem>/all.zip`), served by a
// local HTTP server from zips made here out of public OSV records (../shared/vectors/07-osv):
// the ecosystems a set of packages needs, the build and atomic swap, a failed download that names
// its URL and keeps the installed database, zip members refused by size (a zip bomb), and the
// scanner's `VULNDB_SOURCE=osv:…` on a real nats-server.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { createService } from '@assay/service-kit';
import { scannerService } from '@assay/scanner';
import {
  buildDatabase,
  dbPath,
  DownloadError,
  exportEcosystems,
  exportsIn,
  MAX_ZIP_MEMBER_BYTES,
  openDatabase,
  osvExportUrl,
  updateFromOsvExports,
  verifyDatabaseFile,
} from '@assay/vulndb';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { startScanner, type ScannerHandle } from '../scanner/helpers.ts';

const ADVISORIES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors', '07-osv', 'advisories');
const VECTORS: Record<string, string[]> = {
  npm: ['github-advisory-database/GHSA-35jh-r3h4-6jhm.json'],
  Debian: ['osv.dev-worker/DSA-3029-1.json', 'osv-scanner-filter/extracted.CVE-2024-3847.debian.json'],
  PyPI: ['osv-linter/PYSEC-2023-74.json'],
};

/** A zip laid out as osv.dev's export: one `<ID>.json` per record at the top. */
function exportZip(files: string[]): Buffer {
  const members: Record<string, Uint8Array> = {};
  for (const f of files) {
    const data = readFileSync(join(ADVISORIES, f));
    members[`${(JSON.parse(data.toString('utf8')) as { id: string }).id}.json`] = data;
  }
  return Buffer.from(zipSync(members));
}

describe('osv.dev exports', { skip: existsSync(ADVISORIES) ? false : `OSV vectors absent (${ADVISORIES})` }, () => {
  let server: http.Server;
  let base: string;
  const requests: string[] = [];
  const exports = new Map<string, Buffer>();
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;

  before(async () => {
    tmp = await makeTempDir('osv-export');
    for (const [eco, files] of Object.entries(VECTORS)) exports.set(eco, exportZip(files));
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const m = /^\/([^/]+)\/all\.zip$/.exec(req.url ?? '');
      const zip = m ? exports.get(decodeURIComponent(m[1]!)) : undefined;
      if (!zip) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': zip.length }).end(zip);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await tmp?.remove();
  });

  it('names the exports a set of packages needs, by ecosystem base', () => {
    const pkgs = [
      { name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' },
      { name: 'requests', version: '2.19.0', type: 'pypi', purl: 'pkg:pypi/requests@2.19.0' },
      { name: 'nginx', version: '1.2.1', release: '2.2', type: 'deb', purl: 'pkg:deb/debian/nginx@1.2.1-2.2' },
      { name: 'mystery', version: '1', type: 'unknown-kind', purl: 'pkg:generic/mystery@1' },
    ];
    assert.deepEqual(exportEcosystems(pkgs, { family: 'debian', name: '12.5' }), ['Debian', 'PyPI', 'npm']);
    // Without an OS, OS packages cannot be looked up: no Debian export.
    assert.deepEqual(exportEcosystems(pkgs), ['PyPI', 'npm']);
    assert.equal(osvExportUrl('Red Hat', 'https://mirror.example/osv/'), 'https://mirror.example/osv/Red%20Hat/all.zip');
  });

  it('builds the database from the exports, names them as sources, and matches with it', async () => {
    const dir = join(tmp.path, 'db');
    const r = await updateFromOsvExports({ dir, ecosystems: ['npm', 'Debian', 'npm'], baseUrl: base });
    assert.deepEqual(r.urls, [`${base}/Debian/all.zip`, `${base}/npm/all.zip`]);
    assert.equal(r.file, dbPath(dir));
    const meta = verifyDatabaseFile(r.file);
    assert.deepEqual(exportsIn(meta), ['Debian', 'npm']);
    assert.ok(meta.countsPerEcosystem['Debian:7']! >= 1, JSON.stringify(meta.countsPerEcosystem));
    const db = openDatabase(r.file);
    try {
      const found = db.match([{ name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' }]);
      assert.deepEqual(
        found.map((f) => f.id),
        ['GHSA-35jh-r3h4-6jhm'],
      );
      assert.deepEqual(db.match([{ name: 'lodash', version: '4.17.21', type: 'npm', purl: 'pkg:npm/lodash@4.17.21' }]), []);
    } finally {
      db.close();
    }
  });

  it('a failed download names its URL and reason and leaves the installed database in place', async () => {
    const dir = join(tmp.path, 'keep');
    const first = await updateFromOsvExports({ dir, ecosystems: ['npm'], baseUrl: base });
    await assert.rejects(
      updateFromOsvExports({ dir, ecosystems: ['npm', 'Go'], baseUrl: base }),
      (err: unknown) =>
        err instanceof DownloadError &&
        err.url === `${base}/Go/all.zip` &&
        /^could not download \S+Go\/all\.zip: HTTP 404/.test(err.message),
    );
    assert.equal(verifyDatabaseFile(dbPath(dir)).version, first.metadata.version);
    // A download bigger than allowed is refused too.
    await assert.rejects(updateFromOsvExports({ dir, ecosystems: ['npm'], baseUrl: base, maxDownloadBytes: 10 }), /more than 10 bytes/);
    assert.equal(verifyDatabaseFile(dbPath(dir)).version, first.metadata.version);
  });

  it('a zip member inflating past the limit is refused (a zip bomb), the other records kept', async () => {
    const record = readFileSync(join(ADVISORIES, VECTORS.npm![0]!));
    // Zeros compress about a thousandfold: a small zip, a member larger than any record.
    const bomb = Buffer.from(zipSync({ 'GHSA-35jh-r3h4-6jhm.json': record, 'BOMB.json': new Uint8Array(MAX_ZIP_MEMBER_BYTES + 1024) }));
    assert.ok(bomb.length < 1024 * 1024);
    const file = join(tmp.path, 'bomb.zip');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, bomb);
    const skipped: string[] = [];
    const r = await buildDatabase({
      sources: [file],
      out: join(tmp.path, 'bomb.sqlite'),
      onSkip: (s) => skipped.push(`${s.name}: ${s.reason}`),
    });
    assert.equal(r.metadata.records, 1);
    assert.ok(
      skipped.some((s) => /^BOMB\.json: zip member declares \d+ bytes, more than \d+; refused/.test(s)),
      skipped.join('\n'),
    );

    // The same member declaring 100 bytes in its local header: refused by what actually inflates.
    const at = bomb.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04])]), bomb.indexOf('BOMB.json') - 30);
    assert.equal(bomb.toString('latin1', at + 30, at + 39), 'BOMB.json');
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(100, at + 22);
    await writeFile(file, lying);
    const skipped2: string[] = [];
    const r2 = await buildDatabase({
      sources: [file],
      out: join(tmp.path, 'bomb2.sqlite'),
      onSkip: (s) => skipped2.push(`${s.name}: ${s.reason}`),
    });
    assert.equal(r2.metadata.records, 1);
    assert.ok(
      skipped2.some((s) => /^BOMB\.json: zip member inflates to more than \d+ bytes; refused/.test(s)),
      skipped2.join('\n'),
    );
  });

  describe('scanner: VULNDB_SOURCE=osv', () => {
    let nats: NatsServer;
    let scanner: ScannerHandle | undefined;
    before(async () => {
      nats = await startNatsServer();
    });
    after(async () => {
      await scanner?.stop();
      await nats?.close();
    });

    it('parses osv, osv:<ecosystems> and @<base URL>', () => {
      const config = (v: string) => createService(scannerService, { env: { VULNDB_SOURCE: v } }).config.VULNDB_SOURCE;
      const plain = config('osv');
      assert.equal(plain?.kind, 'osv');
      assert.ok(plain?.kind === 'osv' && plain.baseUrl === 'https://osv-vulnerabilities.storage.googleapis.com');
      assert.ok(plain?.kind === 'osv' && plain.ecosystems.includes('Debian') && plain.ecosystems.includes('npm'));
      assert.deepEqual(config('osv:npm,Debian@http://127.0.0.1:8080/osv'), {
        kind: 'osv',
        ecosystems: ['npm', 'Debian'],
        baseUrl: 'http://127.0.0.1:8080/osv',
        text: 'osv:npm,Debian@http://127.0.0.1:8080/osv',
      });
    });

    it(
      'the first check builds the database from the exports; the next one, still fresh, fetches nothing',
      { timeout: 60_000 },
      async () => {
        requests.length = 0;
        scanner = await startScanner(nats.url, {
          VULNDB_DIR: join(tmp.path, 'scanner'),
          VULNDB_SOURCE: `osv:npm,PyPI@${base}`,
          VULNDB_CHECK_INTERVAL: '0',
        });
        const vulndb = scanner.api!.vulndb;
        const first = await vulndb.initial;
        assert.equal(first.updated, true, first.error);
        assert.ok(vulndb.version);
        assert.deepEqual(requests.sort(), ['/PyPI/all.zip', '/npm/all.zip']);
        const second = await vulndb.checkForUpdate();
        assert.equal(second.updated, false);
        assert.equal(requests.length, 2);
        await scanner.stop();
        scanner = undefined;

        // An export the server does not have: no database, the scanner runs on and says why.
        scanner = await startScanner(nats.url, {
          VULNDB_DIR: join(tmp.path, 'scanner-2'),
          VULNDB_SOURCE: `osv:Go@${base}`,
          VULNDB_CHECK_INTERVAL: '0',
        });
        const failed = await scanner.api!.vulndb.initial;
        assert.equal(failed.updated, false);
        assert.equal(scanner.api!.vulndb.version, undefined);
        assert.equal(existsSync(join(tmp.path, 'scanner-2', 'vulndb.sqlite')), false);
      },
    );
  });
});
