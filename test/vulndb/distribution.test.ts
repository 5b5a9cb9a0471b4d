// Distribution against a real registry (Debian docker-registry): publish as an OCI artifact,
// fetch only when newer, verify the digest (a tampered blob is refused and the current file
// stays), swap atomically; air-gapped install and URL fetch; DbHolder keeps old handles alive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../packages/registry-client/src/index.ts';
import {
  ANNOTATION_VERSION,
  buildDatabase,
  DatabaseTooLargeError,
  DbHolder,
  dbPath,
  fetchDatabase,
  fetchDatabaseFromUrl,
  installDatabaseFile,
  openDatabase,
  publishDatabase,
  refreshDatabase,
  VULNDB_ARTIFACT_TYPE,
} from '../../packages/vulndb/src/index.ts';
import { startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';

const have = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const rec = (id: string, fixed: string) => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
});
const versionOf = (file: string) => {
  const db = openDatabase(file);
  try {
    return db.version;
  } finally {
    db.close();
  }
};
const lodash = { name: 'lodash', version: '4.17.0', type: 'npm', purl: 'pkg:npm/lodash@4.17.0' };

async function twoDatabases(dir: string) {
  const v1 = await buildDatabase({ records: [rec('OLD-1', '4.17.5')], out: join(dir, 'v1.sqlite'), version: '20240101T000000Z' });
  const v2 = await buildDatabase({
    records: [rec('OLD-1', '4.17.5'), rec('NEW-2', '4.17.21')],
    out: join(dir, 'v2.sqlite'),
    version: '20240201T000000Z',
  });
  return { v1: v1.file, v2: v2.file };
}

test('publish to a real registry; fetch when newer, not when same; tampered blob refused', { timeout: 120_000 }, async (t) => {
  if (!have('docker-registry')) return t.skip('docker-registry missing');
  const registry = await startRegistry();
  t.after(() => registry.close());
  const tmp = await makeTempDir('vulndb-oci');
  t.after(() => tmp.remove());
  const { v1, v2 } = await twoDatabases(tmp.path);
  const target = { registry: registry.host, repository: 'assay/vulndb', tag: 'v1' };
  const client = new RegistryClient({ registry: registry.host, insecure: true });
  t.after(() => client.close());
  const scannerDir = join(tmp.path, 'scanner');

  const pub1 = await publishDatabase(v1, target);
  assert.equal(pub1.version, '20240101T000000Z');
  const manifest = await client.getManifest('assay/vulndb', 'v1');
  assert.equal(manifest.digest, pub1.digest);
  const mj = manifest.json as {
    artifactType: string;
    annotations: Record<string, string>;
    layers: { mediaType: string; digest: string }[];
  };
  assert.equal(mj.artifactType, VULNDB_ARTIFACT_TYPE);
  assert.equal(mj.annotations[ANNOTATION_VERSION], '20240101T000000Z');
  assert.equal(mj.annotations['io.assay.vulndb.sha256'], createHash('sha256').update(readFileSync(v1)).digest('hex'));
  assert.equal(mj.layers.length, 1);

  // First fetch: nothing installed yet.
  assert.deepEqual(await fetchDatabase({ ...target, client, dir: scannerDir }), { updated: true, version: '20240101T000000Z' });
  assert.deepEqual(readFileSync(dbPath(scannerDir)), readFileSync(v1));
  // Same version: no download.
  assert.deepEqual(await fetchDatabase({ ...target, client, dir: scannerDir, currentVersion: '20240101T000000Z' }), {
    updated: false,
    version: '20240101T000000Z',
  });

  const holder = new DbHolder();
  holder.load(scannerDir);
  const lease = holder.acquire(); // a scan in progress on v1
  assert.deepEqual(
    lease.db.match([lodash]).map((f) => f.id),
    ['OLD-1'],
  );

  // Newer version published: downloaded and swapped in.
  await publishDatabase(v2, target);
  const r = await refreshDatabase(holder, { ...target, dir: scannerDir }); // own client, made from registry
  assert.deepEqual(r, { updated: true, version: '20240201T000000Z' });
  assert.equal(holder.version, '20240201T000000Z');
  assert.deepEqual(await refreshDatabase(holder, { ...target, client, dir: scannerDir }), { updated: false, version: '20240201T000000Z' });
  assert.deepEqual(
    await holder.use((db) =>
      db
        .match([lodash])
        .map((f) => f.id)
        .sort(),
    ),
    ['NEW-2', 'OLD-1'],
  );
  // The scan that started on v1 still reads v1 (its handle outlived the rename and the swap).
  assert.deepEqual(
    lease.db.match([lodash]).map((f) => f.id),
    ['OLD-1'],
  );
  lease.release();
  assert.throws(() => lease.db.match([lodash]), 'released old handle is closed');

  // Tampered: a v3 whose layer bytes in the registry's storage no longer hash to the digest.
  const v3 = (await buildDatabase({ records: [rec('THIRD-3', '5.0.0')], out: join(tmp.path, 'v3.sqlite'), version: '20240301T000000Z' }))
    .file;
  const pub3 = await publishDatabase(v3, { ...target, tag: 'v3' });
  const evil = gzipSync(readFileSync(v1));
  await registry.putBlobUnchecked('assay/vulndb', pub3.layerDigest, { data: evil } as Parameters<typeof registry.putBlobUnchecked>[2]);
  const before = readFileSync(dbPath(scannerDir));
  await assert.rejects(fetchDatabase({ ...target, tag: 'v3', client, dir: scannerDir, currentVersion: holder.version }), (err: Error) =>
    /digest|size|sha256/i.test(err.message),
  );
  assert.deepEqual(readFileSync(dbPath(scannerDir)), before, 'current database untouched');
  assert.equal(versionOf(dbPath(scannerDir)), '20240201T000000Z');
  holder.close();
});

test('publish and fetch against a registry that requires basic auth', { timeout: 60_000 }, async (t) => {
  if (!have('docker-registry')) return t.skip('docker-registry missing');
  const credentials = { username: 'assay', password: 's3cret-pass' };
  const registry = await startRegistry({ basicAuth: credentials });
  t.after(() => registry.close());
  const tmp = await makeTempDir('vulndb-oci-auth');
  t.after(() => tmp.remove());
  const { v1 } = await twoDatabases(tmp.path);
  const target = { registry: registry.host, repository: 'sec/vulndb', tag: 'latest' };
  await assert.rejects(publishDatabase(v1, target), /HTTP 401/);
  await publishDatabase(v1, { ...target, credentials });
  const dir = join(tmp.path, 'scanner');
  await assert.rejects(fetchDatabase({ ...target, dir }));
  assert.deepEqual(await fetchDatabase({ ...target, credentials, dir }), { updated: true, version: '20240101T000000Z' });
  assert.equal(versionOf(dbPath(dir)), '20240101T000000Z');
});

test('air-gapped install verifies the file; URL fetch installs only newer databases', async (t) => {
  const tmp = await makeTempDir('vulndb-install');
  t.after(() => tmp.remove());
  const { v1, v2 } = await twoDatabases(tmp.path);
  const dir = join(tmp.path, 'scanner');
  assert.deepEqual(await installDatabaseFile(v1, dir), { version: '20240101T000000Z', file: dbPath(dir) });
  // Not a database, or a database of another schema: refused, current file kept.
  const junk = join(tmp.path, 'junk.sqlite');
  writeFileSync(junk, 'this is not sqlite');
  await assert.rejects(installDatabaseFile(junk, dir), /InvalidDatabase|not a|cannot open|file is not a database/i);
  const { DatabaseSync } = await import('node:sqlite');
  const other = join(tmp.path, 'other.sqlite');
  const o = new DatabaseSync(other);
  o.exec(
    "CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT); INSERT INTO metadata VALUES ('schema_version', '999'), ('db_version', 'x')",
  );
  o.close();
  await assert.rejects(installDatabaseFile(other, dir), /schema version 999/);
  assert.equal(versionOf(dbPath(dir)), '20240101T000000Z');

  const files: Record<string, Buffer> = { '/v2.sqlite.gz': gzipSync(readFileSync(v2)), '/v1.sqlite': readFileSync(v1) };
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body) res.writeHead(200).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.deepEqual(await fetchDatabaseFromUrl(`${base}/v1.sqlite`, dir, { currentVersion: '20240101T000000Z' }), {
    updated: false,
    version: '20240101T000000Z',
  });
  assert.deepEqual(await fetchDatabaseFromUrl(`${base}/v2.sqlite.gz`, dir, { currentVersion: '20240101T000000Z' }), {
    updated: true,
    version: '20240201T000000Z',
  });
  assert.equal(versionOf(dbPath(dir)), '20240201T000000Z');
});

test(
  'a database that decompresses past the limit is refused and leaves nothing behind (file and registry)',
  { timeout: 120_000 },
  async (t) => {
    const tmp = await makeTempDir('vulndb-bomb');
    t.after(() => tmp.remove());
    const { readdirSync, existsSync } = await import('node:fs');
    // 64 MiB of zeros, about 64 KiB gzipped: a bomb posing as a database file.
    const bomb = join(tmp.path, 'bomb.sqlite.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const dir = join(tmp.path, 'installed');
    await assert.rejects(
      installDatabaseFile(bomb, dir, { maxBytes: 1024 * 1024 }),
      (err: Error) => err instanceof DatabaseTooLargeError && /more than 1048576 bytes/.test(err.message),
    );
    assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], 'no partial file left');

    if (!have('docker-registry')) return t.skip('docker-registry missing');
    const registry = await startRegistry();
    t.after(() => registry.close());
    const { v1 } = await twoDatabases(tmp.path);
    const target = { registry: registry.host, repository: 'assay/vulndb', tag: 'v1' };
    await publishDatabase(v1, target);
    const scannerDir = join(tmp.path, 'scanner');
    await assert.rejects(fetchDatabase({ ...target, dir: scannerDir, maxUnpackedBytes: 4096 }), DatabaseTooLargeError);
    assert.deepEqual(existsSync(scannerDir) ? readdirSync(scannerDir) : [], [], 'nothing installed, no temporary file');
    // Within the limit the same layer installs.
    assert.deepEqual(await fetchDatabase({ ...target, dir: scannerDir }), { updated: true, version: '20240101T000000Z' });
  },
);
