// OSV range evaluation: osv-scalibr's IsAffected scenarios, osv.dev's per-ecosystem ordering
// assertions, and cases of our own for last_affected, limit, GIT and versions lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, isAffected, osvVersion, schemeFor, UnknownEcosystemError, type OsvRange } from '@assay/versions';
import { hasVector, missing, readVectorJson, readVectorText } from './vectors.ts';

const SCALIBR = '07-osv/range-eval/osv-scalibr/expected.isAffected.json';
const SORTKEYS = '07-osv/range-eval/osv.dev-ecosystems/expected.sortkey-assertions.json';

interface Affected {
  package: { ecosystem: string; name: string };
  ranges?: OsvRange[];
  versions?: string[];
}
interface Scenario {
  osv: { affected: Affected[] };
  checks: Array<{ version: string; affected: boolean }>;
}

test('osv: osv-scalibr IsAffected scenarios', (t) => {
  if (!hasVector(SCALIBR)) return t.skip(missing(SCALIBR));
  const { tests } = readVectorJson<{ tests: Array<{ test: string; scenarios: Scenario[] }> }>(SCALIBR);
  const failures: string[] = [];
  let n = 0;
  for (const { test: name, scenarios } of tests) {
    scenarios.forEach((s, i) => {
      for (const c of s.checks) {
        n++;
        // the package is queried as npm 'my-package': only npm entries can apply
        const got = s.osv.affected.some((a) => a.package.ecosystem === 'npm' && isAffected(c.version, a, 'npm'));
        if (got !== c.affected) failures.push(`${name}#${i}: ${JSON.stringify(c.version)} affected=${got}, want ${c.affected}`);
      }
    });
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`osv range-eval: ${n} osv-scalibr checks passed`);
});

const CLASS_ECOSYSTEM: Record<string, string> = {
  APKEcosystemTest: 'Alpine',
  DPKGEcosystemTest: 'Debian',
  NuGetEcosystemTest: 'NuGet',
  PackagistEcosystemTest: 'Packagist',
  PyPIEcosystemTest: 'PyPI',
  RPMEcosystemTest: 'Red Hat',
  RubyGemsEcosystemTest: 'RubyGems',
  SemVerEcosystemTest: 'npm',
};

const HOLDS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '==': (c) => c === 0,
  '>=': (c) => c >= 0,
  '>': (c) => c > 0,
};

test('osv: osv.dev ecosystem ordering assertions', (t) => {
  if (!hasVector(SORTKEYS)) return t.skip(missing(SORTKEYS));
  const { files } = readVectorJson<{ files: Record<string, Array<{ class: string; a: string; op: string; b: string }>> }>(SORTKEYS);
  const failures: string[] = [];
  const notes: string[] = [];
  let n = 0;
  let sentinel = 0;
  for (const [file, list] of Object.entries(files)) {
    for (const x of list) {
      const eco = CLASS_ECOSYSTEM[x.class];
      assert.ok(eco, `unmapped class ${x.class}`);
      const scheme = schemeFor(eco)!;
      n++;
      // osv.dev's sort key puts '0' (the "introduced: 0" sentinel) below everything; in Assay
      // that sentinel lives in range evaluation, so check it there instead.
      if (x.a === '0' || x.b === '0') {
        sentinel++;
        const other = x.a === '0' ? x.b : x.a;
        const below = isAffected(other, { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }, eco);
        if (!below) failures.push(`${file}: ${x.a} ${x.op} ${x.b} (sentinel)`);
        continue;
      }
      // osv.dev sorts versions it cannot parse after all others. dpkg's own order already does
      // that, and the RubyGems scheme does it on purpose; for apk and NuGet the tools' own order
      // applies to malformed versions, so those osv.dev-only assertions are reported, not asserted.
      const invalid = !scheme.isValid(x.a) || !scheme.isValid(x.b);
      const ok = HOLDS[x.op]!(compareVersions(eco, x.a, x.b));
      if (!ok && invalid && (eco === 'Alpine' || eco === 'NuGet')) {
        notes.push(`${eco}: ${x.a} ${x.op} ${x.b}`);
        continue;
      }
      if (!ok) failures.push(`${file}: ${x.a} ${x.op} ${x.b} (got ${compareVersions(eco, x.a, x.b)})`);
    }
  }
  assert.deepEqual(failures, []);
  t.diagnostic(
    `osv.dev sort-key assertions: ${n - notes.length} passed (${sentinel} via the introduced-0 sentinel); ` +
      `${notes.length} osv.dev-only invalid-version orderings not asserted: ${notes.join('; ')}`,
  );
});

const eco = (events: OsvRange['events'], type: OsvRange['type'] = 'ECOSYSTEM'): { ranges: OsvRange[] } => ({ ranges: [{ type, events }] });

test('osv: fixed, last_affected, limit, versions list, GIT', () => {
  // Debian: introduced 0, fixed 1.2-3
  assert.ok(isAffected('1.2-2', eco([{ introduced: '0' }, { fixed: '1.2-3' }]), 'Debian:12'));
  assert.ok(!isAffected('1.2-3', eco([{ introduced: '0' }, { fixed: '1.2-3' }]), 'Debian:12'));
  assert.ok(isAffected('1.2-3~deb12u1', eco([{ introduced: '0' }, { fixed: '1.2-3' }]), 'Debian:12'), '~ sorts before');
  // last_affected is inclusive
  assert.ok(isAffected('4.17.20', eco([{ introduced: '4.0.0' }, { last_affected: '4.17.20' }]), 'npm'));
  assert.ok(!isAffected('4.17.21', eco([{ introduced: '4.0.0' }, { last_affected: '4.17.20' }]), 'npm'));
  assert.ok(!isAffected('3.9.9', eco([{ introduced: '4.0.0' }, { last_affected: '4.17.20' }]), 'npm'));
  // limit bounds the range from above
  assert.ok(isAffected('1.5.0', eco([{ introduced: '1.0.0' }, { limit: '2.0.0' }]), 'npm'));
  assert.ok(!isAffected('2.1.0', eco([{ introduced: '1.0.0' }, { limit: '2.0.0' }]), 'npm'));
  assert.ok(isAffected('9.0.0', eco([{ introduced: '1.0.0' }, { limit: '*' }]), 'npm'));
  // unsorted events, several intervals
  const multi = eco([{ fixed: '1.5' }, { introduced: '2.0' }, { introduced: '1.0' }, { fixed: '2.5' }]);
  assert.deepEqual(
    ['0.9', '1.0', '1.4', '1.5', '1.9', '2.0', '2.4', '2.5'].map((v) => isAffected(v, multi, 'PyPI')),
    [false, true, true, false, false, true, true, false],
  );
  // SEMVER ranges tolerate a leading 'v' and ignore the ecosystem's scheme
  assert.ok(isAffected('v1.2.3', eco([{ introduced: '0' }, { fixed: '1.2.4' }], 'SEMVER'), 'Go'));
  assert.ok(isAffected('1.2.3', eco([{ introduced: '0' }, { fixed: '1.2.4' }], 'SEMVER'), 'Go'));
  // GIT ranges never match by version; only the versions list does
  const git = { ranges: [{ type: 'GIT' as const, events: [{ introduced: '0' }] }], versions: ['1.0.0'] };
  assert.ok(!isAffected('0.9.0', git, 'npm'));
  assert.ok(isAffected('1.0.0', git, 'npm'));
  // exact version-list match only
  assert.ok(!isAffected('1.0', { versions: ['1.0.0'] }, 'PyPI'));
  // other ecosystems
  assert.ok(isAffected('1:2.3-4.el9', eco([{ introduced: '0' }, { fixed: '1:2.3-5.el9' }]), 'Red Hat'));
  assert.ok(isAffected('1.2.3-r0', eco([{ introduced: '0' }, { fixed: '1.2.3-r1' }]), 'Alpine:v3.20'));
  assert.ok(!isAffected('2.17.1', eco([{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }]), 'Maven'));
  assert.ok(isAffected('2.14.1', eco([{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }]), 'Maven'));
  assert.ok(isAffected('6.0.3', eco([{ introduced: '6.0.0' }, { fixed: '6.0.3.1' }]), 'RubyGems'));
  assert.ok(
    isAffected('v0.0.0-20180925071336-cf3bd585ca2a', eco([{ introduced: '0' }, { fixed: '0.0.0-20220412211240-33da011f77ad' }]), 'Go'),
  );
  assert.throws(() => isAffected('1.0', eco([{ introduced: '0' }]), 'Hackage'), UnknownEcosystemError);
  assert.throws(() => compareVersions('Hackage', '1', '2'), UnknownEcosystemError);
});

test('osv: the real lodash advisory (GHSA-35jh-r3h4-6jhm)', (t) => {
  const rel = '07-osv/advisories/github-advisory-database/GHSA-35jh-r3h4-6jhm.json';
  if (!hasVector(rel)) return t.skip(missing(rel));
  const rec = readVectorJson<{ affected: Affected[] }>(rel);
  const lodash = rec.affected.find((a) => a.package.name === 'lodash')!;
  assert.ok(isAffected('4.17.20', lodash, lodash.package.ecosystem));
  assert.ok(!isAffected('4.17.21', lodash, lodash.package.ecosystem));
});

// osv.dev's worker enumerates, for each affected package of an imported record, the known
// versions its range covers (UpdateTest_update_*.txt, a Python repr). Every enumerated version
// must be affected under our evaluation of the same ranges, and the fixed versions must not be.
const WORKER = '07-osv/advisories/osv.dev-worker';

interface Enumerated {
  ecosystem: string;
  ranges: OsvRange[];
  versions: string[];
}

function parseWorkerRepr(text: string): Enumerated[] {
  const start = text.indexOf("'affected_packages'");
  const chunks = text.slice(start).split("'package': {").slice(1);
  return chunks.map((chunk) => {
    const ecosystem = /'ecosystem': '([^']+)'/.exec(chunk)?.[1] ?? '';
    const ranges: OsvRange[] = [];
    const rangeRe = /'events': \[([^\]]*)\],[^\]]*?'type': '(ECOSYSTEM|SEMVER|GIT)'/g;
    for (const m of chunk.matchAll(rangeRe)) {
      const events = [...(m[1] ?? '').matchAll(/'type': '(\w+)',\s*'value': '([^']*)'/g)].map((e) => ({ [e[1]!]: e[2]! }));
      ranges.push({ type: m[2] as OsvRange['type'], events });
    }
    const list = /'versions': \[([^\]]*)\]/.exec(chunk)?.[1] ?? '';
    const versions = [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    return { ecosystem, ranges, versions };
  });
}

test('osv: osv.dev worker enumerations of affected versions', (t) => {
  const files = ['debian', 'alpine', 'maven', 'pypi'].map((e) => `${WORKER}/UpdateTest_update_${e}.txt`);
  if (!files.every(hasVector)) return t.skip(missing(WORKER));
  const failures: string[] = [];
  let affected = 0;
  let fixed = 0;
  for (const file of files) {
    const packages = parseWorkerRepr(readVectorText(file));
    assert.ok(packages.length > 0 && packages.every((p) => p.ecosystem && p.ranges.length > 0 && p.versions.length > 0), `parsed ${file}`);
    for (const p of packages) {
      for (const v of p.versions) {
        affected++;
        if (!isAffected(v, { ranges: p.ranges }, p.ecosystem)) failures.push(`${p.ecosystem} ${v} should be affected`);
      }
      for (const r of p.ranges.filter((x) => x.type !== 'GIT')) {
        for (const e of r.events) {
          if (e.fixed === undefined) continue;
          fixed++;
          if (isAffected(e.fixed, { ranges: p.ranges }, p.ecosystem))
            failures.push(`${p.ecosystem} fixed ${e.fixed} should not be affected`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`osv.dev worker: ${affected} enumerated versions affected and ${fixed} fixed versions not, as expected`);
});

// osv-scalibr's vulnerability_test.go cases, with its Go helpers (buildEcosystemAffectsRange,
// buildSemverAffectsRange) read as ECOSYSTEM/SEMVER ranges. Package-name mapping (stdlib, dpkg
// source, apk origin, git repo) is the matcher's job; only the version side is checked here.
const SCALIBR_VULN = '07-osv/range-eval/osv-scalibr/expected.vulnerability.json';

interface ScalibrCase {
  desc: string;
  pkg: { Version: string; Metadata?: { Epoch?: number } };
  affectedEco: string;
  affectedVersions?: string[];
  affectedRanges: Array<{ __call__?: string; args?: Array<Record<string, string>>; Type?: string }>;
  expectAffected: boolean;
}

test('osv: osv-scalibr vulnerability_test.go (epochs, range helpers)', (t) => {
  if (!hasVector(SCALIBR_VULN)) return t.skip(missing(SCALIBR_VULN));
  const { tests } = readVectorJson<{ tests: Record<string, ScalibrCase[]> }>(SCALIBR_VULN);
  const failures: string[] = [];
  let n = 0;
  for (const c of Object.values(tests).flat()) {
    const ranges: OsvRange[] = c.affectedRanges.map((r) => ({
      type: r.__call__ === 'buildSemverAffectsRange' ? 'SEMVER' : r.__call__ === 'buildEcosystemAffectsRange' ? 'ECOSYSTEM' : 'GIT',
      events: (r.args ?? []).map((e) =>
        Object.fromEntries(Object.entries(e).map(([k, v]) => [k === 'LastAffected' ? 'last_affected' : k.toLowerCase(), v])),
      ),
    }));
    const eco = c.affectedEco;
    const version = osvVersion(eco, c.pkg.Version, c.pkg.Metadata?.Epoch);
    const got = isAffected(version, { ranges, versions: c.affectedVersions }, eco);
    n++;
    if (got !== c.expectAffected) failures.push(`${c.desc}: got ${got}`);
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`osv-scalibr vulnerability_test: ${n} cases passed`);
});
