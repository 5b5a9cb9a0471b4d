// The language analyzers register together, with unique types, and route files as intended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalyzerRegistry } from '../../packages/inventory/src/analyzer.ts';
import { languageAnalyzers } from '../../packages/inventory/src/lang/index.ts';
import { ctx, file, vfs } from './lang/vectors.ts';

test('languageAnalyzers(): registrable, versioned, files routed to the right analyzers', () => {
  const reg = new AnalyzerRegistry(languageAnalyzers());
  const v = reg.versions();
  assert.equal(Object.keys(v).length, languageAnalyzers().length);
  assert.ok(Object.values(v).every((x) => x >= 1));
  const file = { size: 2048, mode: 0o644 };
  const exe = { size: 2048, mode: 0o755 };
  const route = (p: string, info = file) =>
    reg
      .wanting(p, info)
      .map((a) => a.type)
      .sort();
  assert.deepEqual(route('app/package-lock.json'), ['npm-lock']);
  assert.deepEqual(route('app/package.json'), ['npm-lock', 'yarn-lock']); // the manifest beside a lockfile
  assert.deepEqual(route('app/node_modules/lodash/package.json'), ['npm-installed']);
  assert.deepEqual(route('app/yarn.lock'), ['yarn-lock']);
  assert.deepEqual(route('app/pnpm-lock.yaml'), ['pnpm-lock']);
  assert.deepEqual(route('usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA'), ['python-pkg']);
  assert.deepEqual(route('app/requirements.txt'), ['pip-requirements']);
  assert.deepEqual(route('app/poetry.lock'), ['poetry-lock']);
  assert.deepEqual(route('app/Pipfile.lock'), ['pipfile-lock']);
  assert.deepEqual(route('usr/local/bin/tool', exe), ['cargo-auditable', 'gobinary']);
  assert.deepEqual(route('opt/app.jar'), ['jar']);
  assert.deepEqual(route('usr/local/bundle/specifications/rack-2.2.3.gemspec'), ['gemspec']);
  assert.deepEqual(route('app/Gemfile.lock'), ['bundler']);
  assert.deepEqual(route('app/Cargo.lock'), ['cargo-lock']);
  assert.deepEqual(route('app/composer.lock'), ['composer']);
  assert.deepEqual(route('app/MyApp.deps.json'), ['dotnet-deps']);
  assert.deepEqual(route('etc/os-release'), []);
});

test('every language analyzer survives garbage input without throwing', async () => {
  const junk: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from('{'),
    Buffer.from('null'),
    Buffer.from('[1,2,3]'),
    Buffer.from('\x7fELF\x02\x01\x01' + '\xff'.repeat(200), 'latin1'),
    Buffer.from('PK\x03\x04' + '\x00'.repeat(100), 'latin1'),
    Buffer.from('\xff Go buildinf:\x08\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
    Buffer.from('packages:\n  - [\n'),
    Buffer.from('[[package]]\nname = 3\nversion = []\n'),
  ];
  const paths = [
    'app/package-lock.json',
    'app/node_modules/x/package.json',
    'app/yarn.lock',
    'app/pnpm-lock.yaml',
    'x.dist-info/METADATA',
    'a.whl',
    'requirements.txt',
    'poetry.lock',
    'Pipfile.lock',
    'usr/bin/tool',
    'a.jar',
    'specifications/a.gemspec',
    'Gemfile.lock',
    'Cargo.lock',
    'composer.lock',
    'vendor/composer/installed.json',
    'a.deps.json',
  ];
  let calls = 0;
  for (const a of languageAnalyzers()) {
    for (const p of paths) {
      for (const j of junk) {
        const info = { size: Math.max(j.length, 2048), mode: 0o755 };
        if (!a.required(p, info)) continue;
        calls++;
        if (a.kind === 'file') await a.analyze(file(p, j, 0o755), ctx);
        else await a.analyzeGroup(vfs({ [p]: j }), ctx);
      }
    }
  }
  assert.ok(calls > 100, `${calls} calls`);
});
