// bun.lock (text lockfile, JSONC) and bun.lockb. Fixtures modelled on osv-scalibr's
// extractor/filesystem/language/javascript/bunlock/testdata (nested-dependencies, commits, files,
// bad-tuple) and Trivy's pkg/dependency/parser/nodejs/bun/testdata (bun_happy.lock, bun_multiple_ws.lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Package } from '../../packages/inventory/src/analyzer.ts';
import { BUN_LOCKB_WARNING, bunLockAnalyzer, jsoncToJson, parseBunLock } from '../../packages/inventory/src/lang/bun.ts';
import { allPackages, ctx, vfs } from './lang/vectors.ts';

const flags = (pkgs: readonly Package[]) =>
  pkgs
    .map(
      (p) =>
        `${p.name}@${p.version}${p.dev ? ' dev' : ''}${p.indirect ? ' indirect' : ''}${p.dependsOn ? ` -> ${p.dependsOn.join(',')}` : ''}`,
    )
    .sort();

// Two copies of has-flag: the hoisted one for the root, a nested one under supports-color.
const nested = `{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "bun-lockfile",
      "dependencies": {
        "has-flag": "^2.0.0",
        "supports-color": "^5.0.0",
      },
      "devDependencies": {
        "chalk": "^4.0.0", // a comment, as JSONC allows
      },
    },
  },
  "packages": {
    "ansi-styles": ["ansi-styles@4.3.0", "", { "dependencies": { "color-convert": "^2.0.1" } }, "sha512-zbB9"],

    "chalk": ["chalk@4.1.2", "", { "dependencies": { "ansi-styles": "^4.1.0", "supports-color": "^7.1.0" } }, "sha512-oKnb"],

    "color-convert": ["color-convert@2.0.1", "", { "dependencies": { "color-name": "~1.1.4" } }, "sha512-RREC"],

    "color-name": ["color-name@1.1.4", "", {}, "sha512-dOy+"],

    "has-flag": ["has-flag@2.0.0", "", {}, "sha512-P+1n"],

    "supports-color": ["supports-color@5.5.0", "", { "dependencies": { "has-flag": "^3.0.0" } }, "sha512-QjVj"],

    "chalk/supports-color": ["supports-color@7.2.0", "", { "dependencies": { "has-flag": "^4.0.0" } }, "sha512-qpCA"],

    "supports-color/has-flag": ["has-flag@3.0.0", "", {}, "sha512-sKJf"],

    "chalk/has-flag": ["has-flag@4.0.0", "", {}, "sha512-EykJ"],
  }
}
`;

test('bun.lock: nested copies resolved by install path; direct from workspaces; dev from devDependencies only', async () => {
  const r = await bunLockAnalyzer.analyzeGroup(vfs({ 'app/bun.lock': nested }), ctx);
  assert.equal(r?.warnings, undefined);
  assert.equal(r?.packageSets?.[0]?.path, 'app/bun.lock');
  assert.deepEqual(flags(allPackages(r)), [
    'ansi-styles@4.3.0 dev indirect -> color-convert@2.0.1',
    'chalk@4.1.2 dev -> ansi-styles@4.3.0,supports-color@7.2.0',
    'color-convert@2.0.1 dev indirect -> color-name@1.1.4',
    'color-name@1.1.4 dev indirect',
    'has-flag@2.0.0',
    'has-flag@3.0.0 indirect',
    'has-flag@4.0.0 dev indirect',
    'supports-color@5.5.0 -> has-flag@3.0.0',
    'supports-color@7.2.0 dev indirect -> has-flag@4.0.0',
  ]);
  assert.ok(allPackages(r).every((p) => p.type === 'npm'));
});

test('bun.lock: workspaces, file: and link: packages skipped; git commits kept; scoped names in purls', () => {
  const lock = `{
    "lockfileVersion": 1,
    "workspaces": {
      "": { "name": "root", "devDependencies": { "@types/bun": "latest" } },
      "packages/my-app": { "name": "my-app", "version": "1.0.0", "dependencies": { "lodash": "4.17.21", "etag": "file:../etag", "is-number": "github:jonschlinkert/is-number" } },
    },
    "packages": {
      "@types/bun": ["@types/bun@1.2.13", "", { "dependencies": { "bun-types": "1.2.13" } }, "sha512-u6vX"],
      "bun-types": ["bun-types@1.2.13", { "dependencies": {} }, "sha512-rRjA"],
      "etag": ["etag@file:../etag", {}],
      "linked": ["linked@link:linked", {}],
      "is-number": ["is-number@github:jonschlinkert/is-number#98e8ff1", {}, "jonschlinkert-is-number-98e8ff1"],
      "lodash": ["lodash@4.17.21", "", {}, "sha512-v2kD"],
      "my-app": ["my-app@workspace:packages/my-app"],
      "undici-types": ["undici-types@6.21.0"],
    }
  }`;
  const r = parseBunLock(lock);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(flags(r.packages), [
    '@types/bun@1.2.13 dev -> bun-types@1.2.13',
    'bun-types@1.2.13 dev indirect',
    'is-number@98e8ff1',
    'lodash@4.17.21',
    'undici-types@6.21.0 dev indirect',
  ]);
  assert.equal(r.packages.find((p) => p.name === '@types/bun')?.purl, 'pkg:npm/%40types/bun@1.2.13');
});

test('bun.lock: empty and malformed input', async () => {
  assert.equal(
    await bunLockAnalyzer.analyzeGroup(vfs({ 'bun.lock': '{\n  "lockfileVersion": 1,\n  "packages": {},\n}\n' }), ctx),
    undefined,
  );
  const empty = await bunLockAnalyzer.analyzeGroup(vfs({ 'bun.lock': '' }), ctx);
  assert.equal(allPackages(empty).length, 0);
  assert.match(empty?.warnings?.[0] ?? '', /^bun-lock: bun\.lock: not JSON/);
  const bad = parseBunLock(
    '{"packages": {"bad1": [123, "", {}], "bad2": {}, "bad3": ["no-version"], "wrappy": ["wrappy@1.0.2", "", {}, "sha512-l4Sp"],}}',
  );
  assert.deepEqual(
    bad.packages.map((p) => p.name),
    ['wrappy'],
  );
  assert.equal(bad.packages[0]?.dev, undefined);
  assert.equal(bad.packages[0]?.indirect, undefined); // no workspaces: nothing says what is direct
  assert.deepEqual(bad.warnings, [
    'package "bad1": not a [name@version, …] tuple',
    'package "bad2": not a [name@version, …] tuple',
    'package "bad3": cannot read name@version from "no-version"',
  ]);
  assert.deepEqual(parseBunLock('[]').warnings, ['not a bun.lock object']);
});

test('bun.lockb: a warning, unless a bun.lock sits beside it; node_modules copies are not wanted', async () => {
  const only = await bunLockAnalyzer.analyzeGroup(
    vfs({ 'app/bun.lockb': Buffer.from([0x23, 0x21, 0x2f, 0x75, 0x73, 0x72, 0x00, 0xff]) }),
    ctx,
  );
  assert.deepEqual(only, { warnings: [`bun-lock: app/bun.lockb: ${BUN_LOCKB_WARNING}`] });
  const both = await bunLockAnalyzer.analyzeGroup(vfs({ 'app/bun.lockb': 'x', 'app/bun.lock': nested }), ctx);
  assert.equal(both?.warnings, undefined);
  assert.equal(allPackages(both).length, 9);
  const info = { size: 10, mode: 0o644 };
  assert.equal(bunLockAnalyzer.required('app/bun.lock', info), true);
  assert.equal(bunLockAnalyzer.required('bun.lockb', info), true);
  assert.equal(bunLockAnalyzer.required('app/node_modules/x/bun.lock', info), false);
  assert.equal(bunLockAnalyzer.required('app/bun.lock.json', info), false);
});

test('jsoncToJson: trailing commas and comments go, strings stay as written', () => {
  const src = '{"a": "x, }", // c\n "b": [1, 2, /* d */ ], "c": "\\" ,]", "u": "http://h/p",\n}';
  assert.deepEqual(JSON.parse(jsoncToJson(src)), { a: 'x, }', b: [1, 2], c: '" ,]', u: 'http://h/p' });
});
