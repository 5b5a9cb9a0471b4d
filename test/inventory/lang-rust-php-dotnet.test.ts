// Cargo.lock and Composer against osv-scalibr's goldens; cargo-auditable and .NET deps.json handcrafted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { cargoAuditableAnalyzer, cargoLockAnalyzer, parseCargoLock } from '../../packages/inventory/src/lang/rust.ts';
import { composerAnalyzer, parseComposerLock } from '../../packages/inventory/src/lang/php.ts';
import { dotnetDepsAnalyzer } from '../../packages/inventory/src/lang/dotnet.ts';
import { allPackages, ctx, file, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

test('Cargo.lock: osv-scalibr goldens', { skip: skipNoVectors }, () => {
  const g = golden('osv-scalibr/rust_cargolock/expected.cargolock.json');
  assert.ok(g.tests.TestExtractor_Extract.length >= 8);
  for (const c of g.tests.TestExtractor_Extract) {
    const r = parseCargoLock(readFileSync(vecPath(`osv-scalibr/rust_cargolock/${c.InputConfig.Path}`), 'utf8'));
    assert.deepEqual(ids(r.packages), ids((c.WantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }))), c.Name);
    if (c.WantErr) assert.ok(r.warnings.length > 0, `${c.Name}: warning expected`);
  }
});

test('Cargo.lock: dependsOn resolves single and versioned references', async () => {
  const lock =
    'version = 3\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = ["syn 2.0.0", "memchr"]\n[[package]]\nname = "syn"\nversion = "1.0.0"\n[[package]]\nname = "syn"\nversion = "2.0.0"\n[[package]]\nname = "memchr"\nversion = "2.4.1"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n';
  const r = await cargoLockAnalyzer.analyzeGroup(vfs({ 'src/Cargo.lock': lock }), ctx);
  const app = allPackages(r).find((p) => p.name === 'app');
  assert.equal(app?.purl, 'pkg:cargo/app@0.1.0');
  assert.deepEqual(app?.dependsOn, ['memchr@2.4.1', 'syn@2.0.0']);
  const bad = await cargoLockAnalyzer.analyzeGroup(vfs({ 'Cargo.lock': '[[package]\nname=' }), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.match(bad?.warnings?.[0] ?? '', /not TOML/);
});

/** A 64-bit little-endian ELF whose only content is the named section. */
function elfWithSection(name: string, data: Buffer): Buffer {
  const shstr = Buffer.from(`\0.shstrtab\0${name}\0`);
  const hdr = 64;
  const shstrOff = hdr;
  const dataOff = shstrOff + shstr.length;
  const shoff = Math.ceil((dataOff + data.length) / 8) * 8;
  const buf = Buffer.alloc(shoff + 3 * 64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(buf);
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(64, 0x3a);
  buf.writeUInt16LE(3, 0x3c);
  buf.writeUInt16LE(1, 0x3e);
  shstr.copy(buf, shstrOff);
  data.copy(buf, dataOff);
  const sh = (i: number, nameOff: number, off: number, size: number) => {
    const b = shoff + i * 64;
    buf.writeUInt32LE(nameOff, b);
    buf.writeBigUInt64LE(BigInt(off), b + 0x18);
    buf.writeBigUInt64LE(BigInt(size), b + 0x20);
  };
  sh(1, 1, shstrOff, shstr.length);
  sh(2, 11, dataOff, data.length);
  return Buffer.concat([buf, Buffer.alloc(1024)]);
}

test('cargo-auditable: .dep-v0 section of an ELF binary', async () => {
  const json = JSON.stringify({
    packages: [
      { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2], root: true },
      { name: 'serde', version: '1.0.190', source: 'crates.io', dependencies: [] },
      { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
    ],
  });
  const bin = elfWithSection('.dep-v0', deflateSync(json));
  assert.ok(cargoAuditableAnalyzer.required('usr/bin/app', { size: bin.length, mode: 0o755 }));
  const r = await cargoAuditableAnalyzer.analyze(file('usr/bin/app', bin, 0o755), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.purl} dev=${Boolean(p.dev)} ${(p.dependsOn ?? []).join(',')}`),
    ['pkg:cargo/app@0.1.0 dev=false cc@1.0.83,serde@1.0.190', 'pkg:cargo/cc@1.0.83 dev=true ', 'pkg:cargo/serde@1.0.190 dev=false '],
  );
  assert.equal(
    await cargoAuditableAnalyzer.analyze(file('usr/bin/other', elfWithSection('.text', Buffer.alloc(16)), 0o755), ctx),
    undefined,
  );
  const broken = await cargoAuditableAnalyzer.analyze(file('usr/bin/b', elfWithSection('.dep-v0', Buffer.from('not zlib')), 0o755), ctx);
  assert.match(broken?.warnings?.[0] ?? '', /\.dep-v0/);
});

test('composer.lock: osv-scalibr goldens (dev from packages-dev)', { skip: skipNoVectors }, () => {
  const g = golden('osv-scalibr/php_composerlock/expected.composerlock.json');
  for (const c of g.tests.TestExtractor_Extract) {
    const r = parseComposerLock(readFileSync(vecPath(`osv-scalibr/php_composerlock/${c.InputConfig.Path}`), 'utf8'));
    // Scalibr lists a package once per list; we merge name@version, dev only if dev in every list.
    const want = keyed(
      c.WantPackages ?? [],
      (p: any) => `${p.Name}@${p.Version}${(p.Metadata?.DepGroupVals ?? []).includes('dev') ? ' dev' : ''}`,
    );
    const got = keyed(
      allPackages({ packageSets: r.packages.length ? [{ analyzer: 'composer', path: 'x', packages: r.packages }] : [] }),
      (p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`,
    );
    assert.deepEqual(got, want, c.Name);
    if (c.WantErr) assert.ok(r.warnings.length > 0, `${c.Name}: warning expected`);
  }
});

test('composer: installed.json v1 and v2, licences, purl with vendor namespace', async () => {
  const v2 = JSON.stringify({
    packages: [
      { name: 'monolog/monolog', version: '3.5.0', license: ['MIT'], require: { 'psr/log': '^3' } },
      { name: 'psr/log', version: '3.0.0', license: ['MIT'] },
      { name: 'phpunit/phpunit', version: '10.0.0' },
    ],
    dev: true,
    'dev-package-names': ['phpunit/phpunit'],
  });
  const v1 = JSON.stringify([{ name: 'guzzlehttp/guzzle', version: '7.8.0', license: 'MIT' }]);
  assert.ok(composerAnalyzer.required('var/www/vendor/composer/installed.json', { size: 1, mode: 0o644 }));
  assert.ok(composerAnalyzer.required('var/www/composer.lock', { size: 1, mode: 0o644 }));
  assert.ok(!composerAnalyzer.required('var/www/vendor/x/y/composer.lock', { size: 1, mode: 0o644 }));
  const r = await composerAnalyzer.analyzeGroup(
    vfs({ 'a/vendor/composer/installed.json': v2, 'b/vendor/composer/installed.json': v1, 'c/composer.lock': '{' }),
    ctx,
  );
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.purl} ${(p.licences ?? []).join(',')} dev=${Boolean(p.dev)} ${(p.dependsOn ?? []).join(',')}`),
    [
      'pkg:composer/guzzlehttp/guzzle@7.8.0 MIT dev=false ',
      'pkg:composer/monolog/monolog@3.5.0 MIT dev=false psr/log@3.0.0',
      'pkg:composer/phpunit/phpunit@10.0.0  dev=true ',
      'pkg:composer/psr/log@3.0.0 MIT dev=false ',
    ],
  );
  assert.match(r?.warnings?.join('\n') ?? '', /c\/composer\.lock: not JSON/);
});

const DEPS = {
  runtimeTarget: { name: '.NETCoreApp,Version=v8.0' },
  targets: {
    '.NETCoreApp,Version=v8.0': {
      'MyApp/1.0.0': { dependencies: { 'Newtonsoft.Json': '13.0.3', Serilog: '3.1.1' } },
      'Newtonsoft.Json/13.0.3': { runtime: { 'lib/net6.0/Newtonsoft.Json.dll': {} } },
      'Serilog/3.1.1': { dependencies: { 'System.Memory': '4.5.5' } },
      'System.Memory/4.5.5': {},
    },
  },
  libraries: {
    'MyApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
    'Newtonsoft.Json/13.0.3': { type: 'package', serviceable: true, sha512: 'sha512-x' },
    'Serilog/3.1.1': { type: 'package', serviceable: true },
    'System.Memory/4.5.5': { type: 'package' },
    'Legacy/1.0.0': { type: 'reference' },
  },
};

test('.NET deps.json: packages only, dependsOn from targets, malformed input warns', async () => {
  assert.ok(dotnetDepsAnalyzer.required('app/MyApp.deps.json', { size: 1, mode: 0o644 }));
  assert.ok(!dotnetDepsAnalyzer.required('app/MyApp.runtimeconfig.json', { size: 1, mode: 0o644 }));
  const r = await dotnetDepsAnalyzer.analyze(file('app/MyApp.deps.json', JSON.stringify(DEPS)), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.purl} ${(p.dependsOn ?? []).join(',')}`),
    ['pkg:nuget/Newtonsoft.Json@13.0.3 ', 'pkg:nuget/Serilog@3.1.1 System.Memory@4.5.5', 'pkg:nuget/System.Memory@4.5.5 '],
  );
  assert.equal(r?.packageSets?.[0]?.path, 'app/MyApp.deps.json');
  for (const bad of ['{', '[]', '{"libraries": 1}']) {
    const x = await dotnetDepsAnalyzer.analyze(file('a.deps.json', bad), ctx);
    assert.equal(allPackages(x).length, 0, bad);
    assert.ok(x?.warnings?.length, bad);
  }
});
