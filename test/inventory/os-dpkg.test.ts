import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LayerContext, Package } from '../../packages/inventory/src/analyzer.ts';
import { debFullVersion, dep5Licences, dpkgAnalyzer, parseDebVersion, parseDpkgStatus } from '../../packages/inventory/src/ospkg/index.ts';
import { parsePurl } from '../../packages/inventory/src/purl.ts';
import { file, OS_VECTORS, readTxtar, sortedJson, vfs } from './os-support/vectors.ts';

const ubuntu: LayerContext = { layerDigest: 'sha256:l', os: { family: 'ubuntu', name: '18.04', codename: 'bionic' } };
const bookworm: LayerContext = { layerDigest: 'sha256:l', os: { family: 'debian', name: '12', codename: 'bookworm' } };

// Trivy's golden packages → the fields our Package carries. Not compared: Maintainer,
// Repository class, Digest (no such fields); InstalledFiles per package (we report the union as
// systemInstalledFiles, compared below).
function trivyView(p: Record<string, unknown>) {
  const o: Record<string, unknown> = {
    ID: p.ID,
    Name: p.Name,
    Version: p.Version,
    Arch: p.Arch,
    SrcName: p.SrcName,
    SrcVersion: p.SrcVersion,
  };
  for (const k of ['Epoch', 'Release', 'SrcEpoch', 'SrcRelease', 'DependsOn']) if (p[k] !== undefined) o[k] = p[k];
  return o;
}
function ourView(p: Package) {
  const o: Record<string, unknown> = {
    ID: `${p.name}@${debFullVersion(p)}`,
    Name: p.name,
    Version: p.version,
    Arch: p.arch,
    SrcName: p.srcName,
    SrcVersion: p.srcVersion,
  };
  if (p.epoch !== undefined) o.Epoch = p.epoch;
  if (p.release !== undefined) o.Release = p.release;
  if (p.srcEpoch !== undefined) o.SrcEpoch = p.srcEpoch;
  if (p.srcRelease !== undefined) o.SrcRelease = p.srcRelease;
  if (p.dependsOn !== undefined) o.DependsOn = p.dependsOn;
  return o;
}

test('trivy dpkg golden cases', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const dir = join(OS_VECTORS, 'trivy', 'dpkg');
  const cases = readdirSync(dir).filter((f) => f.endsWith('.txtar'));
  assert.equal(cases.length, 6);
  for (const c of cases) {
    await t.test(c, async () => {
      const golden = JSON.parse(readFileSync(join(dir, 'expected', c.replace('.txtar', '.json')), 'utf8')).want;
      const files = readTxtar(join(dir, c)).filter((f) => dpkgAnalyzer.required(f.path, f));
      const r = await dpkgAnalyzer.analyzeGroup(vfs(files), ubuntu);
      assert.ok(r);
      const want = golden.PackageInfos as { FilePath: string; Packages: Record<string, unknown>[] }[];
      assert.deepEqual(
        (r.packageSets ?? []).map((s) => s.path),
        want.map((w) => w.FilePath),
      );
      for (const [i, w] of want.entries())
        assert.deepEqual(sortedJson(r.packageSets?.[i]?.packages.map(ourView) ?? []), sortedJson(w.Packages.map(trivyView)));
      const wantFiles = ((golden.SystemInstalledFiles ?? []) as string[]).map((f) => f.replace(/^\//, '')).sort();
      assert.deepEqual([...(r.systemInstalledFiles ?? [])].sort(), wantFiles);
    });
  }
});

test('trivy corrupted status: partial result with warnings, no throw', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const files = readTxtar(join(OS_VECTORS, 'trivy', 'dpkg', 'corrupsed.txtar'));
  const r = await dpkgAnalyzer.analyzeGroup(vfs(files), ubuntu);
  assert.equal(r?.packageSets?.[0]?.packages.length, 4);
});

test('truncated status file → packages before the cut, warning for the cut stanza', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const full = readTxtar(join(OS_VECTORS, 'trivy', 'dpkg', 'valid.txtar')).find((f) => f.path === 'var/lib/dpkg/status');
  assert.ok(full);
  const text = full.content.toString('utf8');
  // Cut in the middle of a stanza, just before its Version line.
  const cut = text.indexOf('\nVersion:', Math.floor(text.length / 2));
  const r = await dpkgAnalyzer.analyzeGroup(vfs([file('var/lib/dpkg/status', text.slice(0, cut))]), ubuntu);
  const n = r?.packageSets?.[0]?.packages.length ?? 0;
  assert.ok(n > 10 && n < 90, `got ${n}`);
  assert.ok(
    r?.warnings?.some((w) => /no Version/.test(w)),
    JSON.stringify(r?.warnings),
  );
});

test('binary garbage → warnings, no packages, no throw', async () => {
  const r = await dpkgAnalyzer.analyzeGroup(vfs([file('var/lib/dpkg/status', Buffer.from([0, 1, 2, 255, 10, 10, 65, 10]))]), bookworm);
  assert.equal(r?.packageSets, undefined);
  assert.ok((r?.warnings?.length ?? 0) > 0);
});

// osv-scalibr: Name and full Version (epoch:upstream-revision), Architecture, SourceName /
// SourceVersion where given; OS-derived fields come from ctx.os (checked through the purl).
test('osv-scalibr dpkg cases', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const base = join(OS_VECTORS, 'osv-scalibr', 'dpkg');
  const cases = JSON.parse(readFileSync(join(base, 'expected.TestExtract.json'), 'utf8')).cases as any[];
  let ran = 0;
  for (const c of cases) {
    if (c.isOPKG || c.cfg) continue; // opkg and IncludeNotInstalled are not ours
    const rel = c.path as string;
    const content = readFileSync(join(base, rel));
    const statusD = rel.includes('status.d/');
    const path = statusD ? `var/lib/dpkg/status.d/${rel.split('/').pop()}` : 'var/lib/dpkg/status';
    ran++;
    await t.test(`${c.name} (${rel})`, async () => {
      if (path.endsWith('.md5sums')) {
        assert.equal(dpkgAnalyzer.required(path, { size: 1, mode: 0o644 }), false);
        return;
      }
      const kv = Object.fromEntries([...String(c.osrelease ?? '').matchAll(/^\s*([A-Z_]+)="?([^"\n]*)"?/gm)].map((m) => [m[1], m[2]]));
      const ctx: LayerContext = kv.ID
        ? { layerDigest: 'x', os: { family: kv.ID, name: kv.VERSION_ID ?? '', codename: kv.VERSION_CODENAME } }
        : { layerDigest: 'x' };
      const r = await dpkgAnalyzer.analyzeGroup(vfs([file(path, content)]), ctx);
      const got = (r?.packageSets ?? []).flatMap((s) => s.packages);
      const want = (c.wantPackages ?? []) as any[];
      assert.deepEqual(
        sortedJson(got.map((p) => ({ n: p.name, v: debFullVersion(p), a: p.arch ?? '', s: p.srcName }))),
        sortedJson(want.map((w) => ({ n: w.Name, v: w.Version, a: w.Metadata.Architecture ?? '', s: w.Metadata.SourceName || w.Name }))),
      );
      for (const w of want) {
        const p = got.find((g) => g.name === w.Name);
        assert.ok(p);
        if (w.Metadata.SourceVersion) assert.equal(`${p.srcVersion}${p.srcRelease ? `-${p.srcRelease}` : ''}`, w.Metadata.SourceVersion);
        const u = parsePurl(p.purl);
        assert.equal(u.type, 'deb');
        assert.equal(u.namespace, w.Metadata.OSID || 'debian');
        if (w.Metadata.OSID && w.Metadata.OSVersionID) assert.equal(u.qualifiers?.distro, `${w.Metadata.OSID}-${w.Metadata.OSVersionID}`);
      }
      if (c.wantErr) assert.ok((r?.warnings?.length ?? 0) > 0, 'invalid input must warn');
      if (c.wantLogWarn) assert.ok((r?.warnings?.length ?? 0) > 0, 'skipped stanza must warn');
    });
  }
  assert.ok(ran >= 15, `ran ${ran}`);
});

test('version split, Source with version, Depends resolution, status filter', () => {
  assert.deepEqual(parseDebVersion('1:2.31.1-0.4ubuntu3.1'), { epoch: 1, upstream: '2.31.1', revision: '0.4ubuntu3.1' });
  assert.deepEqual(parseDebVersion('5:20.10.7~3-0~debian-buster'), { epoch: 5, upstream: '20.10.7~3-0~debian', revision: 'buster' });
  assert.deepEqual(parseDebVersion('3.131'), { upstream: '3.131' });
  const status = [
    'Package: util-linux-extra',
    'Status: install ok installed',
    'Architecture: amd64',
    'Source: util-linux (1:2.38.1-5)',
    'Version: 2.38.1-5+b1',
    'Depends: libc6 (>= 2.34), libfoo | libbar:any',
    'Description: multi',
    ' line',
    ' .',
    '',
    'Package: libc6',
    'Status: install ok installed',
    'Version: 2.36-9+deb12u4',
    'Architecture: amd64',
    '',
    'Package: gone',
    'Status: deinstall ok config-files',
    'Version: 1.0',
    '',
    'Package: libbar',
    'Status: install ok installed',
    'Version: 0.1-1',
    '',
    '',
    '',
  ].join('\n');
  const r = parseDpkgStatus(status, bookworm);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.packages.map((p) => p.name),
    ['util-linux-extra', 'libc6', 'libbar'],
  );
  const u = r.packages[0];
  assert.equal(u?.srcName, 'util-linux');
  assert.equal(u?.srcEpoch, 1);
  assert.equal(u?.srcVersion, '2.38.1');
  assert.equal(u?.srcRelease, '5');
  assert.deepEqual(u?.dependsOn, ['libbar@0.1-1', 'libc6@2.36-9+deb12u4']);
  assert.equal(u?.purl, 'pkg:deb/debian/util-linux-extra@2.38.1-5+b1?arch=amd64&distro=debian-12');
  const t = parseDpkgStatus('Package: x\nStatus: install ok installed\nVersion: 2:1.0-1\nArchitecture: all\n', { layerDigest: 'l' });
  assert.equal(t.packages[0]?.purl, 'pkg:deb/debian/x@1.0-1?arch=all&epoch=2');
});

test('distroless status.d, info/*.list files and DEP-5 copyright licences', async () => {
  const copyright = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: zlib',
    '',
    'Files: *',
    'Copyright: 1995-2013 Jean-loup Gailly and Mark Adler',
    'License: Zlib',
    '',
    'Files: debian/*',
    'License: GPL-2+',
    '',
    'License: Zlib',
    ' This software is provided as-is...',
  ].join('\n');
  const fs = vfs({
    'var/lib/dpkg/status.d/zlib1g': 'Package: zlib1g\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n',
    'var/lib/dpkg/status.d/base': 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
    'var/lib/dpkg/info/zlib1g:amd64.list':
      '/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n/usr/lib/x86_64-linux-gnu/libz.so.1\n',
    'usr/share/doc/zlib1g/copyright': copyright,
    'usr/share/doc/base-files/copyright': 'This is Debian base-files; see /usr/share/common-licenses/GPL.\n',
  });
  for (const p of fs.paths()) assert.ok(dpkgAnalyzer.required(p, { size: 1, mode: 0o644 }), p);
  assert.equal(dpkgAnalyzer.required('var/lib/dpkg/status.d/zlib1g.md5sums', { size: 1, mode: 0o644 }), false);
  assert.equal(dpkgAnalyzer.required('usr/share/doc/zlib1g/examples/copyright', { size: 1, mode: 0o644 }), false);
  const r = await dpkgAnalyzer.analyzeGroup(fs, { layerDigest: 'l', os: { family: 'debian', name: '12.5' } });
  assert.deepEqual(
    r?.packageSets?.map((s) => s.path),
    ['var/lib/dpkg/status.d/base', 'var/lib/dpkg/status.d/zlib1g'],
  );
  const z = r?.packageSets?.[1]?.packages[0];
  assert.equal(z?.epoch, 1);
  assert.deepEqual(z?.licences, ['Zlib', 'GPL-2+']);
  assert.equal(r?.packageSets?.[0]?.packages[0]?.licences, undefined);
  assert.deepEqual(r?.systemInstalledFiles, ['usr/lib/x86_64-linux-gnu/libz.so.1', 'usr/lib/x86_64-linux-gnu/libz.so.1.2.13']);
  assert.deepEqual(dep5Licences('no format line\nLicense: MIT\n'), []);
});
