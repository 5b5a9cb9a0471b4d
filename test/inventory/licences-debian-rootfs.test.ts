// Licences of a real Debian rootfs: the dpkg analyzer reads the DEP-5 `License:` fields of
// usr/share/doc/*/copyright; at least 95% of the packages with a machine-readable copyright file
// must get a known SPDX licence for their primary licence (the first `License:`, the `Files: *`
// stanza's in practice). Everything else is reported unknown with its raw text.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { licenceFindings, normaliseLicence } from '../../packages/inventory/src/licences/index.ts';
import { dpkgAnalyzer } from '../../packages/inventory/src/ospkg/index.ts';
import { debianRootfsTar } from '../support/debian-rootfs.ts';
import { file, readTree, vfs } from './os-support/vectors.ts';

const have = (cmd: string, arg = '--version') => {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

test('Debian rootfs: DEP-5 licences normalise to SPDX', { timeout: 300_000 }, async (t) => {
  if (!have('mmdebstrap') || !have('tar')) return t.skip('mmdebstrap or tar missing');
  const tarball = await debianRootfsTar();
  const dir = mkdtempSync(join(tmpdir(), 'assay-licences-'));
  try {
    execFileSync('tar', ['-xf', tarball, '-C', dir, '--wildcards', './var/lib/dpkg/status', './usr/share/doc/*/copyright'], {
      stdio: 'ignore',
    });
    const files = readTree(dir)
      .map((f) => file(f.path.replace(/^\.\//, ''), f.content))
      .filter((f) => dpkgAnalyzer.required(f.path, f));
    const r = await dpkgAnalyzer.analyzeGroup(vfs(files), { layerDigest: 'l' });
    const pkgs = r?.packageSets?.[0]?.packages ?? [];
    const withDep5 = pkgs.filter((p) => p.licences?.length);
    assert.ok(withDep5.length >= 50, `${withDep5.length} packages with DEP-5 licences`);
    const primaryKnown = withDep5.filter((p) => normaliseLicence(p.licences![0]!).known);
    const allKnown = withDep5.filter((p) => p.licences!.every((l) => normaliseLicence(l).known));
    const rows = licenceFindings(withDep5);
    const pct = (n: number, d: number) => ((100 * n) / d).toFixed(1);
    t.diagnostic(
      `packages=${pkgs.length} with_dep5=${withDep5.length} primary_known=${primaryKnown.length} (${pct(primaryKnown.length, withDep5.length)}%) all_known=${allKnown.length} (${pct(allKnown.length, withDep5.length)}%) licence_rows=${rows.length} rows_known=${pct(rows.filter((x) => x.known).length, rows.length)}%`,
    );
    const unknownPrimary = withDep5.filter((p) => !primaryKnown.includes(p)).map((p) => `${p.name}: ${p.licences![0]}`);
    t.diagnostic(`unknown primary licences: ${unknownPrimary.join('; ')}`);
    assert.ok(primaryKnown.length / withDep5.length >= 0.95, `${pct(primaryKnown.length, withDep5.length)}% < 95%`);
    // Unknown rows keep the raw text and carry no SPDX id.
    for (const row of rows.filter((x) => !x.known)) assert.equal(row.category, undefined);
    const apt = rows.filter((x) => x.package.startsWith('apt@'));
    assert.ok(
      apt.some((x) => x.licence === 'GPL-2.0-or-later' && x.known && x.category === 'restricted'),
      JSON.stringify(apt),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
