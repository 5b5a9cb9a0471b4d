import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LayerContext } from '../../packages/inventory/src/analyzer.ts';
import {
  readBdbBlobs,
  readNdbBlobs,
  readSqliteBlobs,
  rpmBdbAnalyzer,
  rpmHeaderToPackage,
  rpmNdbAnalyzer,
  rpmSqliteAnalyzer,
  RPMTAG,
  splitSourceRpm,
} from '../../packages/inventory/src/ospkg/index.ts';
import { parsePurl } from '../../packages/inventory/src/purl.ts';
import { buildHeader, buildNdb, buildSqliteDb } from './os-support/rpm.ts';
import { file, OS_VECTORS } from './os-support/vectors.ts';

const fedora: LayerContext = { layerDigest: 'sha256:l', os: { family: 'fedora', name: '32' } };
const vector = OS_VECTORS ? join(OS_VECTORS, 'osv-scalibr', 'rpm', 'Packages_epoch') : undefined;

// osv-scalibr's expectation for Packages_epoch: hello 1:0.0.1-rls x86_64, SourceRPM
// hello-0.0.1-rls.src.rpm, License GPL.
function assertHello(
  pkgs: readonly {
    name: string;
    version: string;
    epoch?: number;
    release?: string;
    arch?: string;
    srcName?: string;
    srcVersion?: string;
    srcRelease?: string;
    licences?: readonly string[];
    purl: string;
  }[],
) {
  assert.equal(pkgs.length, 1);
  const p = pkgs[0];
  assert.ok(p);
  assert.deepEqual(
    {
      name: p.name,
      version: p.version,
      epoch: p.epoch,
      release: p.release,
      arch: p.arch,
      src: `${p.srcName}-${p.srcVersion}-${p.srcRelease}.src.rpm`,
      licences: p.licences,
    },
    { name: 'hello', version: '0.0.1', epoch: 1, release: 'rls', arch: 'x86_64', src: 'hello-0.0.1-rls.src.rpm', licences: ['GPL'] },
  );
}

const helloBlob = (): Buffer => {
  const r = readBdbBlobs(readFileSync(vector as string));
  assert.equal(r.blobs.length, 1);
  return r.blobs[0] as Buffer;
};

test('BerkeleyDB: osv-scalibr Packages_epoch', async (t) => {
  if (!vector) return t.skip('vectors not present');
  assert.equal(rpmBdbAnalyzer.required('var/lib/rpm/Packages', { size: 1, mode: 0o644 }), true);
  const r = await rpmBdbAnalyzer.analyze(file('var/lib/rpm/Packages', readFileSync(vector)), fedora);
  assert.deepEqual(r?.warnings, undefined);
  assertHello(r?.packageSets?.[0]?.packages ?? []);
  assert.equal(r?.packageSets?.[0]?.packages[0]?.purl, 'pkg:rpm/fedora/hello@0.0.1-rls?arch=x86_64&distro=fedora-32&epoch=1');
  assert.ok(r?.systemInstalledFiles?.length, 'file list from BASENAMES/DIRNAMES');
  assert.ok(r?.systemInstalledFiles?.every((f) => !f.startsWith('/')));
});

test('BerkeleyDB: truncated or damaged file → warnings, no throw', async (t) => {
  if (!vector) return t.skip('vectors not present');
  const buf = readFileSync(vector);
  for (const cut of [100, 4096, 8192 + 100, 12288, buf.length - 4096]) {
    const r = await rpmBdbAnalyzer.analyze(file('var/lib/rpm/Packages', buf.subarray(0, cut)), fedora);
    assert.ok(r?.warnings?.length, `cut at ${cut}: ${JSON.stringify(r)}`);
  }
  // Break the overflow chain's page type: the header is lost, with a warning, nothing thrown.
  const bad = Buffer.from(buf);
  for (let pg = 1; pg < bad.length / 4096; pg++) if (bad[pg * 4096 + 25] === 7) bad[pg * 4096 + 25] = 0x55;
  const r = await rpmBdbAnalyzer.analyze(file('var/lib/rpm/Packages', bad), fedora);
  assert.equal(r?.packageSets?.[0]?.packages.length, 0);
  assert.ok(r?.warnings?.some((w) => /expected overflow/.test(w)));
});

test('SQLite: rpm schema in WAL mode holding the vector header, plus a gpg-pubkey pseudo-package', async (t) => {
  if (!vector) return t.skip('vectors not present');
  const gpg = buildHeader({ [RPMTAG.NAME]: 'gpg-pubkey', [RPMTAG.VERSION]: 'fd431d51', [RPMTAG.RELEASE]: '4ae0493b' });
  const db = buildSqliteDb([helloBlob(), gpg]);
  assert.equal(db[18], 2, 'WAL mode, as rpm leaves it');
  for (const p of ['usr/lib/sysimage/rpm/rpmdb.sqlite', 'var/lib/rpm/rpmdb.sqlite'])
    assert.equal(rpmSqliteAnalyzer.required(p, { size: 1, mode: 0o644 }), true);
  const r = await rpmSqliteAnalyzer.analyze(file('usr/lib/sysimage/rpm/rpmdb.sqlite', db), fedora);
  assert.deepEqual(r?.warnings, undefined);
  assertHello(r?.packageSets?.[0]?.packages ?? []);
});

test('SQLite: truncated and non-SQLite input → warnings, no throw', async (t) => {
  if (!vector) return t.skip('vectors not present');
  const db = buildSqliteDb([helloBlob()]);
  const r1 = readSqliteBlobs(db.subarray(0, 4096));
  assert.ok(r1.warnings.length > 0, JSON.stringify(r1));
  const r2 = readSqliteBlobs(
    Buffer.from('not a database at all, not even close......................................................................'),
  );
  assert.deepEqual(r2.blobs, []);
  assert.ok(r2.warnings.length > 0);
  const r3 = await rpmSqliteAnalyzer.analyze(file('var/lib/rpm/rpmdb.sqlite', db.subarray(0, db.length - 1000)), fedora);
  assert.ok(r3?.warnings?.length);
});

test('SQLite: a database written by the real rpm (Debian rpm 4.18), when rpm is installed', async (t) => {
  try {
    execFileSync('rpmbuild', ['--version'], { stdio: 'ignore' });
  } catch {
    return t.skip('rpm/rpmbuild not installed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'assay-rpm-'));
  try {
    const spec = join(dir, 't.spec');
    writeFileSync(
      spec,
      [
        'Name: assay-test',
        'Version: 1.2.3',
        'Release: 4.el9',
        'Epoch: 2',
        'Summary: t',
        'License: MIT AND Apache-2.0',
        'BuildArch: noarch',
        '%description',
        't',
        '%install',
        'mkdir -p %{buildroot}/usr/share/assay',
        'echo hi > %{buildroot}/usr/share/assay/a.txt',
        '%files',
        '/usr/share/assay/a.txt',
        '',
      ].join('\n'),
    );
    execFileSync('rpmbuild', ['--define', `_topdir ${join(dir, 'top')}`, '-bb', spec], { stdio: 'ignore', timeout: 60_000 });
    const rpmFile = join(dir, 'top', 'RPMS', 'noarch', 'assay-test-1.2.3-4.el9.noarch.rpm');
    const dbdir = join(dir, 'db');
    mkdirSync(dbdir);
    const rpm = (...args: string[]) =>
      execFileSync('rpm', ['--dbpath', dbdir, '--define', '_db_backend sqlite', ...args], { stdio: 'ignore', timeout: 60_000 });
    rpm('--initdb');
    rpm('-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', '--ignoreos', rpmFile);
    const ctx: LayerContext = { layerDigest: 'l', os: { family: 'redhat', name: '9.3' } };
    const r = await rpmSqliteAnalyzer.analyze(file('var/lib/rpm/rpmdb.sqlite', readFileSync(join(dbdir, 'rpmdb.sqlite'))), ctx);
    assert.deepEqual(r?.warnings, undefined);
    const p = r?.packageSets?.[0]?.packages;
    assert.equal(p?.length, 1);
    assert.deepEqual(
      { ...p?.[0] },
      {
        name: 'assay-test',
        version: '1.2.3',
        type: 'rpm',
        purl: 'pkg:rpm/redhat/assay-test@1.2.3-4.el9?arch=noarch&distro=redhat-9.3&epoch=2',
        epoch: 2,
        release: '4.el9',
        arch: 'noarch',
        srcName: 'assay-test',
        srcVersion: '1.2.3',
        srcRelease: '4.el9',
        srcEpoch: 2,
        licences: ['MIT AND Apache-2.0'],
      },
    );
    assert.deepEqual(r?.systemInstalledFiles, ['usr/share/assay/a.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NDB: slot pages and blobs (rpmpkg.c layout) holding the vector header', async (t) => {
  if (!vector) return t.skip('vectors not present');
  const other = buildHeader({
    [RPMTAG.NAME]: 'libzypp',
    [RPMTAG.VERSION]: '17.31.8',
    [RPMTAG.RELEASE]: '150400.3.14.1',
    [RPMTAG.ARCH]: 'x86_64',
    [RPMTAG.LICENSE]: 'GPL-2.0-or-later',
    [RPMTAG.SOURCERPM]: 'libzypp-17.31.8-150400.3.14.1.src.rpm',
    [RPMTAG.DIRINDEXES]: [0, 1],
    [RPMTAG.BASENAMES]: ['libzypp.so.1722', 'zypp.conf'],
    [RPMTAG.DIRNAMES]: ['/usr/lib64/', '/etc/zypp/'],
  });
  const db = buildNdb([helloBlob(), other], { slotPages: 2, freeSlotFirst: true });
  assert.equal(rpmNdbAnalyzer.required('usr/lib/sysimage/rpm/Packages.db', { size: 1, mode: 0o644 }), true);
  const ctx: LayerContext = { layerDigest: 'l', os: { family: 'opensuse-leap', name: '15.4' } };
  const r = await rpmNdbAnalyzer.analyze(file('usr/lib/sysimage/rpm/Packages.db', db), ctx);
  assert.deepEqual(r?.warnings, undefined);
  const pkgs = r?.packageSets?.[0]?.packages ?? [];
  assertHello(pkgs.filter((p) => p.name === 'hello'));
  const z = pkgs.find((p) => p.name === 'libzypp');
  assert.equal(z?.srcName, 'libzypp');
  assert.equal(z?.purl, 'pkg:rpm/opensuse/libzypp@17.31.8-150400.3.14.1?arch=x86_64&distro=opensuse-leap-15.4');
  assert.deepEqual(
    r?.systemInstalledFiles?.filter((f) => !f.includes('hello')),
    ['usr/lib64/libzypp.so.1722', 'etc/zypp/zypp.conf'],
  );
});

test('NDB: damaged slot, blob and truncation → the rest still read, warnings, no throw', async (t) => {
  if (!vector) return t.skip('vectors not present');
  const a = helloBlob();
  const b = buildHeader({ [RPMTAG.NAME]: 'b', [RPMTAG.VERSION]: '1', [RPMTAG.RELEASE]: '1' });
  const db = buildNdb([a, b]);
  // Break the first package's blob magic.
  const firstBlk = db.readUInt32LE(32 + 8);
  const broken = Buffer.from(db);
  broken.writeUInt32LE(0xdeadbeef, firstBlk * 16);
  const r = readNdbBlobs(broken);
  assert.equal(r.blobs.length, 1);
  assert.ok(r.warnings.some((w) => /bad blob header/.test(w)));
  // Cut the file inside the last blob.
  const cut = readNdbBlobs(db.subarray(0, db.length - 20));
  assert.equal(cut.blobs.length, 1);
  assert.ok(cut.warnings.length > 0);
  // Not an NDB file at all.
  assert.ok(readNdbBlobs(Buffer.alloc(64)).warnings.length > 0);
});

test('rpm header: corrupt blobs, gpg-pubkey, source rpm names', () => {
  assert.throws(() => rpmHeaderToPackage(Buffer.from([0, 0, 0, 1]), fedora));
  const h = buildHeader({ [RPMTAG.NAME]: 'x', [RPMTAG.VERSION]: '1' });
  assert.throws(() => rpmHeaderToPackage(h.subarray(0, h.length - 3), fedora), /truncated/);
  assert.equal(rpmHeaderToPackage(buildHeader({ [RPMTAG.NAME]: 'gpg-pubkey', [RPMTAG.VERSION]: 'a' }), fedora).pkg, undefined);
  assert.deepEqual(splitSourceRpm('util-linux-2.37.4-15.el9.src.rpm'), { name: 'util-linux', version: '2.37.4', release: '15.el9' });
  assert.deepEqual(splitSourceRpm('foo-1-2.nosrc.rpm'), { name: 'foo', version: '1', release: '2' });
  assert.equal(splitSourceRpm('(none)'), undefined);
  const p = rpmHeaderToPackage(
    buildHeader({ [RPMTAG.NAME]: 'bash', [RPMTAG.VERSION]: '5.1.8', [RPMTAG.RELEASE]: '9.el9', [RPMTAG.ARCH]: 'x86_64' }),
    { layerDigest: 'l', os: { family: 'alma', name: '9.4' } },
  ).pkg;
  assert.equal(p?.purl, 'pkg:rpm/almalinux/bash@5.1.8-9.el9?arch=x86_64&distro=alma-9.4');
  assert.equal(parsePurl(p?.purl ?? '').version, '5.1.8-9.el9');
});
