// Building: malformed records are counted and skipped without stopping the build; zips (as
// osv.dev exports them) and URLs are read; newer duplicates replace older ones; withdrawn
// records are kept but never matched; the file carries its metadata.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { buildDatabase, openDatabase } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

const rec = (id: string, name: string, fixed: string, extra: Record<string, unknown> = {}) => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
  ...extra,
});
const pkg = (name: string, version: string) => ({ name, version, type: 'npm', purl: `pkg:npm/${name}@${version}` });

test('malformed records are counted with reasons and skipped; the build goes on', async (t) => {
  const tmp = await makeTempDir('vulndb-malformed');
  t.after(() => tmp.remove());
  const dir = join(tmp.path, 'in');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a-good.json'), JSON.stringify(rec('GOOD-1', 'left-pad', '1.3.0')));
  writeFileSync(join(dir, 'b-badjson.json'), '{"id": "BAD-1", ');
  writeFileSync(join(dir, 'c-noid.json'), JSON.stringify({ ...rec('X', 'left-pad', '1.0.0'), id: undefined }));
  writeFileSync(
    join(dir, 'd-badrange.json'),
    JSON.stringify({
      ...rec('BAD-2', 'left-pad', '1.0.0'),
      affected: [
        { package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1.0.0' }] }] },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'e-noevents.json'),
    JSON.stringify({
      ...rec('BAD-3', 'left-pad', '1.0.0'),
      affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER' }] }],
    }),
  );
  writeFileSync(join(dir, 'f-array.json'), '[1, 2]');
  writeFileSync(join(dir, 'sub', 'g-good.json'), JSON.stringify(rec('GOOD-2', 'is-odd', '3.0.1')));
  writeFileSync(join(dir, 'sub', 'ignored.txt'), 'not json');
  const skips: string[] = [];
  const { metadata, file } = await buildDatabase({
    sources: [dir],
    out: join(tmp.path, 'db.sqlite'),
    onSkip: (s) => skips.push(`${s.name}: ${s.reason}`),
  });
  assert.equal(metadata.records, 2);
  assert.equal(metadata.skipped, 6);
  assert.deepEqual(metadata.skippedReasons, {
    'invalid JSON': 1,
    'missing id': 1,
    'bad ranges: event must have exactly one of introduced/fixed/last_affected/limit': 1,
    'bad ranges: range without events': 1,
    'not an object': 2,
  });
  assert.equal(skips.length, 6);
  assert.ok(skips.includes('b-badjson.json: invalid JSON'), skips.join('\n'));
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual(
    db
      .match([pkg('left-pad', '1.2.0'), pkg('is-odd', '3.0.0')])
      .map((f) => f.id)
      .sort(),
    ['GOOD-1', 'GOOD-2'],
  );
  assert.equal(db.metadata.skipped, 6);
});

test('zip input (streamed), newer duplicate wins, withdrawn kept but never matched, metadata stored', async (t) => {
  const tmp = await makeTempDir('vulndb-zip');
  t.after(() => tmp.remove());
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  const zip = zipSync({
    'GHSA-1.json': enc(rec('GHSA-1', 'minimist', '1.2.6')),
    'GHSA-2.json': enc(rec('GHSA-2', 'minimist', '0.2.4', { withdrawn: '2024-02-01T00:00:00Z' })),
    'nested/GHSA-3.json': enc(rec('GHSA-3', 'qs', '6.10.3')),
    'bad.json': new TextEncoder().encode('nope'),
    'README.md': new TextEncoder().encode('# not a record'),
  });
  const zipFile = join(tmp.path, 'all.zip');
  writeFileSync(zipFile, zip);
  // A second source with a newer GHSA-3 (different fix) and an older GHSA-1 (ignored).
  const dir = join(tmp.path, 'dir');
  mkdirSync(dir);
  writeFileSync(join(dir, 'GHSA-3.json'), JSON.stringify(rec('GHSA-3', 'qs', '6.10.4', { modified: '2024-06-01T00:00:00Z' })));
  writeFileSync(join(dir, 'GHSA-1.json'), JSON.stringify(rec('GHSA-1', 'minimist', '9.9.9', { modified: '2023-01-01T00:00:00Z' })));
  const out = join(tmp.path, 'db.sqlite');
  const { metadata } = await buildDatabase({ sources: [zipFile, dir], out, version: '2024.06.01-1' });
  assert.equal(metadata.records, 3);
  assert.equal(metadata.withdrawn, 1);
  assert.deepEqual(metadata.skippedReasons, { 'invalid JSON': 1, 'duplicate id (same or older modified)': 1 });
  assert.deepEqual(metadata.countsPerEcosystem, { npm: 2 });
  const zipSha = (await import('node:crypto')).createHash('sha256').update(zip).digest('hex');
  assert.deepEqual(metadata.sources[0], { source: zipFile, kind: 'zip', sha256: zipSha });

  const db = openDatabase(out);
  t.after(() => db.close());
  assert.equal(db.version, '2024.06.01-1');
  const found = db.match([pkg('minimist', '0.0.8'), pkg('qs', '6.10.3')]);
  assert.deepEqual(found.map((f) => [f.id, f.fixedVersion]).sort(), [
    ['GHSA-1', '1.2.6'],
    ['GHSA-3', '6.10.4'],
  ]);

  // On disk: WAL off, vacuumed (no free pages), metadata rows present.
  const raw = new DatabaseSync(out, { readOnly: true });
  t.after(() => raw.close());
  assert.notEqual((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  assert.equal((raw.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count, 0);
  const keys = (raw.prepare('SELECT key FROM metadata ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  for (const k of ['schema_version', 'db_version', 'built_at', 'sources', 'counts_per_ecosystem', 'skipped', 'skipped_reasons'])
    assert.ok(keys.includes(k), k);
  // The withdrawn record is still known by id.
  assert.deepEqual(
    { ...raw.prepare('SELECT withdrawn FROM vulnerabilities WHERE id = ?').get('GHSA-2') },
    { withdrawn: '2024-02-01T00:00:00Z' },
  );
});

test('a record matches until it is withdrawn (same record, with and without withdrawn)', async (t) => {
  const tmp = await makeTempDir('vulndb-withdrawn');
  t.after(() => tmp.remove());
  const build = async (withdrawn: boolean) => {
    const out = join(tmp.path, `${withdrawn}.sqlite`);
    await buildDatabase({ records: [rec('W-1', 'ms', '2.0.0', withdrawn ? { withdrawn: '2024-01-02T00:00:00Z' } : {})], out });
    const db = openDatabase(out);
    const ids = db.match([pkg('ms', '1.0.0')]).map((f) => f.id);
    db.close();
    return ids;
  };
  assert.deepEqual(await build(false), ['W-1']);
  assert.deepEqual(await build(true), []);
});

test('an http(s) URL to a zip is downloaded and compiled', async (t) => {
  const tmp = await makeTempDir('vulndb-url');
  t.after(() => tmp.remove());
  const zip = zipSync({ 'X-1.json': new TextEncoder().encode(JSON.stringify(rec('X-1', 'axios', '0.21.1'))) });
  const server = http.createServer((req, res) => {
    if (req.url === '/npm/all.zip') res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.from(zip));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const out = join(tmp.path, 'db.sqlite');
  const { metadata } = await buildDatabase({ sources: [`${base}/npm/all.zip`], out });
  assert.equal(metadata.records, 1);
  assert.equal(metadata.sources[0]?.kind, 'zip');
  await assert.rejects(buildDatabase({ sources: [`${base}/missing.zip`], out: join(tmp.path, 'x.sqlite') }), /HTTP 404/);
  assert.ok((await readFile(out)).subarray(0, 15).toString() === 'SQLite format 3');
});
