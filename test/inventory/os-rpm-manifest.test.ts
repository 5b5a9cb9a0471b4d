// CBL-Mariner / Azure Linux distroless rpm manifest (var/lib/rpmmanifest/container-manifest-2).
// Lines taken from Trivy's pkg/fanal/analyzer/pkg/rpm/rpmqa_test.go (TestParseMarinerDistrolessManifest).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalyzerRegistry, type LayerContext } from '../../packages/inventory/src/analyzer.ts';
import { osPurlNamespace } from '../../packages/inventory/src/ospkg/common.ts';
import { RPM_MANIFEST, osAnalyzers, parseRpmManifest, rpmManifestAnalyzer } from '../../packages/inventory/src/ospkg/index.ts';
import { parsePurl } from '../../packages/inventory/src/purl.ts';
import { file } from './os-support/vectors.ts';

const manifest = [
  'mariner-release\t2.0-12.cm2\t1653816591\t1653753130\tMicrosoft Corporation\t(none)\t580\tnoarch\t0\tmariner-release-2.0-12.cm2.src.rpm',
  'filesystem\t1.1-9.cm2\t1653816591\t1653628924\tMicrosoft Corporation\t(none)\t7596\tx86_64\t0\tfilesystem-1.1-9.cm2.src.rpm',
  'glibc\t2.35-2.cm2\t1653816591\t1653628955\tMicrosoft Corporation\t(none)\t10855265\tx86_64\t0\tglibc-2.35-2.cm2.src.rpm',
  'ca-certificates-base\t3.0.0-8.azl3\t1748892790\t1735838940\tMicrosoft Corporation\t(none)\t130628\tnoarch\t1\tca-certificates-3.0.0-8.azl3.src.rpm',
].join('\n');

const azl: LayerContext = { layerDigest: 'sha256:l', os: { family: 'azurelinux', name: '3.0' } };
const mariner: LayerContext = { layerDigest: 'sha256:l', os: { family: 'cbl-mariner', name: '2.0' } };

test("rpm manifest: Trivy's golden packages (version/release split, epoch, source rpm)", async () => {
  const r = await rpmManifestAnalyzer.analyze(file(RPM_MANIFEST, `${manifest}\n`), { layerDigest: 'sha256:l' });
  assert.equal(r?.warnings, undefined);
  assert.equal(r?.packageSets?.[0]?.analyzer, 'rpmqa');
  assert.equal(r?.packageSets?.[0]?.path, RPM_MANIFEST);
  const pkgs = r?.packageSets?.[0]?.packages ?? [];
  assert.deepEqual(
    pkgs.map(({ purl: _p, ...rest }) => rest),
    [
      {
        name: 'mariner-release',
        version: '2.0',
        type: 'rpm',
        release: '12.cm2',
        arch: 'noarch',
        srcName: 'mariner-release',
        srcVersion: '2.0',
        srcRelease: '12.cm2',
      },
      {
        name: 'filesystem',
        version: '1.1',
        type: 'rpm',
        release: '9.cm2',
        arch: 'x86_64',
        srcName: 'filesystem',
        srcVersion: '1.1',
        srcRelease: '9.cm2',
      },
      {
        name: 'glibc',
        version: '2.35',
        type: 'rpm',
        release: '2.cm2',
        arch: 'x86_64',
        srcName: 'glibc',
        srcVersion: '2.35',
        srcRelease: '2.cm2',
      },
      {
        name: 'ca-certificates-base',
        version: '3.0.0',
        type: 'rpm',
        epoch: 1,
        release: '8.azl3',
        arch: 'noarch',
        srcName: 'ca-certificates',
        srcVersion: '3.0.0',
        srcEpoch: 1,
        srcRelease: '8.azl3',
      },
    ],
  );
  // OS unknown: no namespace, no distro.
  assert.equal(pkgs[3]?.purl, 'pkg:rpm/ca-certificates-base@3.0.0-8.azl3?arch=noarch&epoch=1');
});

test('rpm manifest: purl namespace and distro from the detected OS', () => {
  const a = parseRpmManifest(manifest, azl).packages[2];
  assert.equal(a?.purl, 'pkg:rpm/azurelinux/glibc@2.35-2.cm2?arch=x86_64&distro=azurelinux-3.0');
  const m = parsePurl(parseRpmManifest(manifest, mariner).packages[2]?.purl ?? '');
  // The walker rewrites a package's purl with osPurlNamespace when the OS is learnt later: the
  // analyzer must agree with it.
  assert.equal(m.namespace, osPurlNamespace('rpm', 'cbl-mariner'));
  assert.equal(m.qualifiers?.distro, 'cbl-mariner-2.0');
});

test('rpm manifest: empty and malformed input', async () => {
  const empty = await rpmManifestAnalyzer.analyze(file(RPM_MANIFEST, ''), azl);
  assert.deepEqual(empty, { packageSets: [{ analyzer: 'rpmqa', path: RPM_MANIFEST, packages: [] }] });
  const bad = parseRpmManifest(
    [
      'filesystem\t1.1-7.cm1\t1653164283\t1599428094', // Trivy's "sad path" line
      'nover\t1.0\t1\t1\tv\t(none)\t1\tx86_64\t0\tnover-1.0-1.src.rpm',
      'badepoch\t1.0-1\t1\t1\tv\t(none)\t1\tx86_64\t(none)\tbadepoch-1.0-1.src.rpm',
      '\t1.0-1\t1\t1\tv\t(none)\t1\tx86_64\t0\tx-1.0-1.src.rpm',
      'nosrc\t1.0-1\t1\t1\tv\t(none)\t1\tx86_64\t0\t(none)\r',
    ].join('\n'),
    azl,
  );
  assert.deepEqual(bad.warnings, [
    'line 1: expected 10 tab-separated columns, found 4',
    'line 2: package nover: version-release "1.0" does not split in two',
    'line 3: package badepoch: epoch "(none)" is not a number',
    'line 4: no package name',
  ]);
  // A line that reads is kept even when its source rpm does not.
  assert.deepEqual(
    bad.packages.map((p) => [p.name, p.version, p.release, p.srcName]),
    [['nosrc', '1.0', '1', undefined]],
  );
  const junk = await rpmManifestAnalyzer.analyze(file(RPM_MANIFEST, Buffer.from([0, 1, 2, 0xff, 0x0a])), azl);
  assert.equal(junk?.packageSets?.[0]?.packages.length, 0);
  assert.match(junk?.warnings?.[0] ?? '', /^var\/lib\/rpmmanifest\/container-manifest-2: line 1: expected 10/);
});

test('the manifest reaches the rpmqa analyzer only', () => {
  const reg = new AnalyzerRegistry(osAnalyzers());
  const who = (p: string) => reg.wanting(p, { size: 10, mode: 0o644 }).map((a) => a.type);
  assert.deepEqual(who(RPM_MANIFEST), ['rpmqa']);
  assert.deepEqual(who('var/lib/rpmmanifest/container-manifest-1'), []);
});
