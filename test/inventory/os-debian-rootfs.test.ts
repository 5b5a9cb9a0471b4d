// A real Debian bookworm rootfs (mmdebstrap, cached): OS detection and the dpkg analyzer
// against what dpkg-query itself reports from the same database.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { osReleaseAnalyzer } from '../../packages/inventory/src/os/index.ts';
import { debFullVersion, dpkgAnalyzer } from '../../packages/inventory/src/ospkg/index.ts';
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

test('dpkg analyzer agrees with dpkg-query on a real Debian rootfs', { timeout: 300_000 }, async (t) => {
  if (!have('dpkg-query') || !have('mmdebstrap') || !have('tar')) return t.skip('dpkg-query, mmdebstrap or tar missing');
  const tarball = await debianRootfsTar();
  const dir = mkdtempSync(join(tmpdir(), 'assay-os-rootfs-'));
  try {
    execFileSync(
      'tar',
      [
        '-xf',
        tarball,
        '-C',
        dir,
        '--wildcards',
        './etc/os-release',
        './usr/lib/os-release',
        './etc/debian_version',
        './var/lib/dpkg/status',
        './var/lib/dpkg/info/*.list',
        './usr/share/doc/*/copyright',
      ],
      { stdio: 'ignore' },
    );
    const files = readTree(dir)
      .map((f) => file(f.path.replace(/^\.\//, ''), f.content))
      .filter((f) => dpkgAnalyzer.required(f.path, f) || osReleaseAnalyzer.required(f.path, f));
    const fs = vfs(files);
    const osr = await osReleaseAnalyzer.analyzeGroup(fs, { layerDigest: 'l' });
    assert.equal(osr?.os?.family, 'debian');
    assert.equal(osr?.os?.codename, 'bookworm');
    assert.equal(osr?.os?.name, readFileSync(join(dir, 'etc', 'debian_version'), 'utf8').trim());
    const r = await dpkgAnalyzer.analyzeGroup(fs, { layerDigest: 'l', os: osr?.os });
    assert.deepEqual(r?.warnings, undefined);
    const ours = (r?.packageSets?.[0]?.packages ?? []).map((p) => `${p.name} ${debFullVersion(p)} ${p.arch} ${p.srcName}`).sort();
    const theirs = execFileSync(
      'dpkg-query',
      [
        `--admindir=${join(dir, 'var', 'lib', 'dpkg')}`,
        '-W',
        '-f=${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package}\n',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter((l) => l.startsWith('installed '))
      .map((l) => l.slice('installed '.length))
      .sort();
    assert.ok(theirs.length > 80, `dpkg-query listed ${theirs.length}`);
    assert.deepEqual(ours, theirs);
    // Files dpkg installed, directories excluded.
    const installed = new Set(r?.systemInstalledFiles);
    // Paths as dpkg records them (bookworm is merged-/usr: bash is registered as /bin/bash).
    for (const f of ['bin/bash', 'usr/bin/dpkg', 'usr/lib/os-release']) assert.ok(installed.has(f), f);
    assert.ok(!installed.has('usr/bin') && !installed.has('usr'));
    // DEP-5 copyright files give licences for some packages (apt's is machine-readable).
    const apt = r?.packageSets?.[0]?.packages.find((p) => p.name === 'apt');
    assert.ok(apt?.licences?.includes('GPL-2+'), JSON.stringify(apt?.licences));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
