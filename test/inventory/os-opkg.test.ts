// opkg status files (OpenWrt) against osv-scalibr's dpkg extractor goldens for its opkg cases
// (../shared/vectors/03-os-pkgdb/osv-scalibr/dpkg, read in place), plus installed-file lists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AnalyzerRegistry } from '../../packages/inventory/src/analyzer.ts';
import { opkgAnalyzer, opkgListedFiles, osAnalyzers, parseOpkgStatus } from '../../packages/inventory/src/ospkg/index.ts';
import { OS_VECTORS, vfs } from './os-support/vectors.ts';

const ctx = { layerDigest: 'sha256:l' };

interface GoldenCase {
  name: string;
  path: string;
  isOPKG?: boolean;
  cfg?: unknown;
  wantPackages: { Name: string; Version: string; PURLType: string; Metadata: { Architecture?: string } }[];
  wantErr?: string;
  wantLogWarn?: number;
}

test('osv-scalibr opkg golden cases', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const dir = join(OS_VECTORS, 'osv-scalibr', 'dpkg');
  const cases = (JSON.parse(readFileSync(join(dir, 'expected.TestExtract.json'), 'utf8')).cases as GoldenCase[]).filter(
    // IncludeNotInstalled is an osv-scalibr option we do not have: installed packages only.
    (c) => c.isOPKG && c.cfg === undefined,
  );
  assert.ok(cases.length >= 9, `found ${cases.length} opkg cases`);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const status = readFileSync(join(dir, c.path));
      const r = await opkgAnalyzer.analyzeGroup(vfs({ 'usr/lib/opkg/status': status }), ctx);
      const pkgs = r?.packageSets?.flatMap((s) => s.packages) ?? [];
      assert.deepEqual(
        pkgs.map((p) => ({ name: p.name, version: p.version, arch: p.arch })),
        c.wantPackages.map((w) => ({ name: w.Name, version: w.Version, arch: w.Metadata.Architecture })),
      );
      for (const p of pkgs) {
        assert.equal(p.type, 'opkg');
        assert.equal(p.purl.split('?')[0], `pkg:opkg/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}`);
      }
      if (c.wantErr || (c.wantLogWarn ?? 0) > 0) assert.ok((r?.warnings ?? []).length > 0, 'a warning expected');
      if (c.wantLogWarn === 0) assert.equal(r?.warnings, undefined);
    });
  }
});

test('opkg: purl, dependencies among installed packages, status rules', () => {
  const r = parseOpkgStatus(
    [
      'Package: ubus',
      'Version: 2024.10.20~252a9b0c-r1',
      'Depends: libc, libubus20241020 (>= 2024), ubusd',
      'Status: install ok installed',
      'Architecture: x86_64',
      '',
      'Package: libc',
      'Version: 1.2.5-r4',
      'Status: install user installed',
      'Architecture: x86_64',
      '',
      'Package: ubusd',
      'Version: 2024.10.20~252a9b0c-r1',
      'Status: install ok unpacked',
      '',
      'Package: half',
      'Status: install ok half-installed',
      '',
    ].join('\n'),
  );
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.packages.map((p) => [p.name, p.purl, p.dependsOn]),
    [
      ['ubus', 'pkg:opkg/ubus@2024.10.20~252a9b0c-r1?arch=x86_64', ['libc@1.2.5-r4']],
      ['libc', 'pkg:opkg/libc@1.2.5-r4?arch=x86_64', undefined],
    ],
  );
});

test('opkg: info/*.list files are the installed files (symlink targets and directories dropped)', async () => {
  assert.deepEqual(
    opkgListedFiles(['/usr/bin/ubus\n/usr/lib/libubus.so.20241020\t/usr/lib/libubus.so\n/usr/lib\n', '/etc/config/ubus\n\n']),
    ['etc/config/ubus', 'usr/bin/ubus', 'usr/lib/libubus.so.20241020'],
  );
  const r = await opkgAnalyzer.analyzeGroup(
    vfs({
      'usr/lib/opkg/status': 'Package: ubus\nVersion: 1\nStatus: install ok installed\n',
      'usr/lib/opkg/info/ubus.list': '/bin/ubus\n',
    }),
    ctx,
  );
  assert.deepEqual(r?.systemInstalledFiles, ['bin/ubus']);
  assert.equal(r?.packageSets?.[0]?.analyzer, 'opkg');
});

test('opkg: empty and malformed status files', async () => {
  assert.equal(await opkgAnalyzer.analyzeGroup(vfs({ 'var/lib/opkg/status': '' }), ctx), undefined);
  const bad = await opkgAnalyzer.analyzeGroup(vfs({ 'var/lib/opkg/status': Buffer.from([0xff, 0x00, 0x0a, 0x61]) }), ctx);
  assert.equal(bad?.packageSets, undefined);
  assert.match(bad?.warnings?.[0] ?? '', /^var\/lib\/opkg\/status: line 1: not a control field/);
});

test('opkg paths reach the opkg analyzer only', () => {
  const reg = new AnalyzerRegistry(osAnalyzers());
  const who = (p: string) => reg.wanting(p, { size: 10, mode: 0o644 }).map((a) => a.type);
  assert.deepEqual(who('usr/lib/opkg/status'), ['opkg']);
  assert.deepEqual(who('var/lib/opkg/status'), ['opkg']);
  assert.deepEqual(who('usr/lib/opkg/info/ubus.list'), ['opkg']);
  assert.deepEqual(who('usr/lib/opkg/info/ubus.control'), []);
  assert.deepEqual(who('usr/lib/opkg/info/sub/x.list'), []);
  assert.deepEqual(who('usr/lib/opkg/lists/openwrt_core'), []);
});
