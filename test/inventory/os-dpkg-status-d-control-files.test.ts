// distroless `var/lib/dpkg/status.d/`: only the per-package status files are deb822 stanzas;
// the control files beside them (md5sums, maintainer scripts, file lists) are not packages.
// Vector: osv-scalibr's status.d (foo, foo.md5sums) and its golden TestExtract/TestFileRequired.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { analyzeLayer, DEFAULT_LIMITS, defaultAnalyzerRegistry } from '@assay/scan-engine';
import { dpkgAnalyzer } from '../../packages/inventory/src/ospkg/index.ts';
import { buildLayer } from '../support/oci-image.ts';
import { OS_VECTORS } from './os-support/vectors.ts';

const info = { size: 1, mode: 0o644 };
// Maintainer scripts and lists as dpkg writes them (the shapes of Debian's base-files control files).
const postinst = '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n  install -d -m 755 /var/lib/foo\nfi\nexit 0\n';
const list = '/.\n/usr\n/usr/bin\n/usr/bin/foo\n';
const conffiles = '/etc/foo.conf\n';

test('status.d: control files are not required, status files are (osv-scalibr FileRequired cases)', async (t) => {
  for (const p of ['.md5sums', '.postinst', '.preinst', '.prerm', '.postrm', '.list', '.conffiles', '.triggers', '.shlibs', '.symbols'])
    assert.equal(dpkgAnalyzer.required(`var/lib/dpkg/status.d/foo${p}`, info), false, p);
  assert.equal(dpkgAnalyzer.required('var/lib/dpkg/status.d/foo', info), true);
  assert.equal(dpkgAnalyzer.required('var/lib/dpkg/status.d/libc6', info), true);
  assert.equal(dpkgAnalyzer.required('var/lib/dpkg/status.d/python3.11', info), true);
  assert.equal(dpkgAnalyzer.required('var/lib/dpkg/status.d/sub/foo', info), false);
  if (!OS_VECTORS) return t.skip('vectors not present');
  const cases = JSON.parse(readFileSync(join(OS_VECTORS, 'osv-scalibr', 'dpkg', 'expected.TestFileRequired.json'), 'utf8')) as any[];
  const statusD = cases.filter((c) => String(c.path).startsWith('var/lib/dpkg/status.d'));
  assert.ok(statusD.length >= 3);
  for (const c of statusD) assert.equal(dpkgAnalyzer.required(c.path, info), c.wantRequired ?? false, c.path);
});

test('status.d through the layer walker: one package per status file, no warnings from control files', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const dir = join(OS_VECTORS, 'osv-scalibr', 'dpkg', 'testdata', 'dpkg', 'status.d');
  const l = await buildLayer([
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
    { path: 'var/lib/dpkg/status.d/foo', content: readFileSync(join(dir, 'foo')) },
    { path: 'var/lib/dpkg/status.d/foo.md5sums', content: readFileSync(join(dir, 'foo.md5sums')) },
    { path: 'var/lib/dpkg/status.d/foo.postinst', content: postinst, mode: 0o755 },
    { path: 'var/lib/dpkg/status.d/foo.list', content: list },
    { path: 'var/lib/dpkg/status.d/foo.conffiles', content: conffiles },
  ]);
  const a = await analyzeLayer(Readable.from([l.data!]), defaultAnalyzerRegistry(), {
    layerDigest: l.digest,
    expectedDiffId: l.diffId,
    limits: DEFAULT_LIMITS,
  });
  const golden = (
    JSON.parse(readFileSync(join(OS_VECTORS, 'osv-scalibr', 'dpkg', 'expected.TestExtract.json'), 'utf8')).cases as any[]
  ).filter((c) => String(c.path).includes('status.d/'));
  const want = golden.flatMap((c) => (c.wantPackages ?? []).map((w: any) => `${w.Name}@${w.Version}/${w.Metadata.Architecture}`));
  assert.deepEqual(want, ['foo@1.2.3/amd64']); // foo.md5sums yields none
  const dpkgSets = a.packageSets.filter((s) => s.analyzer === 'dpkg');
  assert.deepEqual(
    dpkgSets.map((s) => [s.path, s.packages.map((p) => `${p.name}@${p.version}/${p.arch}`)]),
    [['var/lib/dpkg/status.d/foo', want]],
  );
  assert.deepEqual(
    a.warnings.filter((w) => w.startsWith('dpkg')),
    [],
  );
});
