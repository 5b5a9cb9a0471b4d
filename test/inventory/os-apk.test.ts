import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LayerContext } from '../../packages/inventory/src/analyzer.ts';
import { APK_INSTALLED, apkAnalyzer, parseApkInstalled } from '../../packages/inventory/src/ospkg/index.ts';
import { parsePurl } from '../../packages/inventory/src/purl.ts';
import { file, OS_VECTORS, sortedJson } from './os-support/vectors.ts';

const alpine: LayerContext = { layerDigest: 'sha256:l', os: { family: 'alpine', name: '3.18.0' } };

// Trivy's golden licences are already SPDX-normalised (its analyzer normalises); ours are the
// raw names (a colleague's licence analyzer normalises). This test-only table maps the raw names
// in the vector to what Trivy's normaliser makes of them, so every other licence compares as is.
// Trivy also splits SPDX expressions into their ids; we keep an expression whole (as osv-scalibr).
const trivyIds = (l: string): string[] =>
  l
    .replace(/[()]/g, ' ')
    .split(/\s+/)
    .filter((t) => t && !/^(AND|OR|WITH)$/.test(t));
const TRIVY_SPDX: Record<string, string> = {
  GPL2: 'GPL-2.0-only',
  GPL: 'GPL-2.0-or-later',
  'GPL2+': 'GPL-2.0-or-later',
  zlib: 'Zlib',
  openssl: 'OpenSSL',
  BSD: 'BSD-3-Clause',
};

test('trivy apk golden: packages, licences, dependsOn, installed files', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const dir = join(OS_VECTORS, 'trivy', 'apk');
  const r = await apkAnalyzer.analyze(file(APK_INSTALLED, readFileSync(join(dir, 'installed'))), alpine);
  assert.ok(r);
  const want = JSON.parse(readFileSync(join(dir, 'expected.pkgs.json'), 'utf8')) as Record<string, any>[];
  const got = r.packageSets?.[0]?.packages ?? [];
  // Not compared: Maintainer, Digest (no such fields); per-package InstalledFiles (the union is below).
  assert.deepEqual(
    sortedJson(
      got.map((p) => ({
        ID: `${p.name}@${p.version}`,
        SrcName: p.srcName,
        SrcVersion: p.srcVersion,
        Arch: p.arch,
        Licenses: (p.licences ?? []).flatMap(trivyIds).map((l) => TRIVY_SPDX[l] ?? l),
        DependsOn: p.dependsOn ?? [],
      })),
    ),
    sortedJson(
      want.map((w) => ({
        ID: w.ID,
        SrcName: w.SrcName,
        SrcVersion: w.SrcVersion,
        Arch: w.Arch,
        Licenses: w.Licenses ?? [],
        DependsOn: w.DependsOn ?? [],
      })),
    ),
  );
  const files = JSON.parse(readFileSync(join(dir, 'expected.files.json'), 'utf8')) as string[];
  assert.deepEqual([...(r.systemInstalledFiles ?? [])].sort(), [...files].sort());
  // The stanza without a version is skipped with a warning.
  assert.ok(r.warnings?.some((w) => w.includes('invalidPackageWithoutAVersion')));
});

test('osv-scalibr apk cases', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const base = join(OS_VECTORS, 'osv-scalibr', 'apk');
  const cases = JSON.parse(readFileSync(join(base, 'expected.TestExtract.json'), 'utf8')).cases as any[];
  assert.ok(cases.length >= 8);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const kv = Object.fromEntries([...String(c.osrelease ?? '').matchAll(/^\s*([A-Z_]+)="?([^"\n]*)"?/gm)].map((m) => [m[1], m[2]]));
      const ctx: LayerContext = kv.ID ? { layerDigest: 'x', os: { family: kv.ID, name: kv.VERSION_ID ?? '' } } : { layerDigest: 'x' };
      const r = await apkAnalyzer.analyze(file(APK_INSTALLED, readFileSync(join(base, c.path))), ctx);
      const got = r?.packageSets?.[0]?.packages ?? [];
      const want = (c.wantPackages ?? []) as any[];
      assert.deepEqual(
        sortedJson(got.map((p) => ({ n: p.name, v: p.version, a: p.arch ?? '', o: p.srcName, l: p.licences ?? [] }))),
        // scalibr leaves OriginName empty when `o:` is missing; we fall back to the package name.
        sortedJson(
          want.map((w) => ({
            n: w.Name,
            v: w.Version,
            a: w.Metadata.Architecture ?? '',
            o: w.Metadata.OriginName || w.Name,
            l: w.Licenses ?? [],
          })),
        ),
      );
      for (const p of got) {
        const u = parsePurl(p.purl);
        assert.equal(u.type, 'apk');
        assert.equal(u.namespace, 'alpine');
        assert.equal(u.qualifiers?.arch, p.arch);
        if (kv.ID && kv.VERSION_ID) assert.equal(u.qualifiers?.distro, `${kv.ID}-${kv.VERSION_ID}`);
      }
      if (c.wantErr) assert.ok((r?.warnings?.length ?? 0) > 0, 'invalid input must warn');
    });
  }
});

test('truncated installed DB → partial packages, no throw', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const text = readFileSync(join(OS_VECTORS, 'osv-scalibr', 'apk', 'testdata', 'installed'), 'utf8');
  const cut = `${text.slice(0, Math.floor(text.length / 2))}\n\u0000\u0001garbage\n`;
  const r = await apkAnalyzer.analyze(file(APK_INSTALLED, cut), alpine);
  const n = r?.packageSets?.[0]?.packages.length ?? 0;
  assert.ok(n >= 3 && n < 15, `got ${n}`);
  assert.ok(
    r?.warnings?.some((w) => w.includes('not an apk field')),
    JSON.stringify(r?.warnings),
  );
});

test('wolfi namespace, SPDX expression split, provides resolution', () => {
  const db = [
    'P:glibc',
    'V:2.39-r1',
    'A:x86_64',
    'L:LGPL-2.1-or-later',
    'p:so:libc.so.6=6',
    '',
    'P:busybox',
    'V:1.36.1-r7',
    'A:x86_64',
    'L:( Apache-2.0 OR MIT ) AND GPL-2.0-only WITH Classpath-exception-2.0',
    'D:so:libc.so.6 !other',
    'F:bin',
    'R:busybox',
    '',
  ].join('\n');
  const r = parseApkInstalled(db, { layerDigest: 'l', os: { family: 'wolfi', name: '20230201' } });
  assert.deepEqual(r.warnings, []);
  const bb = r.packages[1];
  assert.equal(bb?.purl, 'pkg:apk/wolfi/busybox@1.36.1-r7?arch=x86_64&distro=wolfi-20230201');
  assert.deepEqual(bb?.licences, ['( Apache-2.0 OR MIT ) AND GPL-2.0-only WITH Classpath-exception-2.0']);
  assert.deepEqual(parseApkInstalled('P:a\nV:1\nL:MIT BSD GPL2+\n', { layerDigest: 'l' }).packages[0]?.licences, ['MIT', 'BSD', 'GPL2+']);
  assert.deepEqual(bb?.dependsOn, ['glibc@2.39-r1']);
  assert.deepEqual(r.files, ['bin/busybox']);
  assert.equal(apkAnalyzer.required('lib/apk/db/installed', { size: 1, mode: 0o644 }), true);
  assert.equal(apkAnalyzer.required('lib/apk/db/installed.bak', { size: 1, mode: 0o644 }), false);
});
