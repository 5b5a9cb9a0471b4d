// Every file of the repository can be checked out on every platform users clone it on: no path
// holds a character Windows refuses in file names (`:` crept in once, for a containerd hosts
// directory named after a registry's host:port).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SKIP = new Set(['.git', 'node_modules', '.toolchain', '.assay']);
const REFUSED = /[<>:"|?*\\]/;

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    yield relative(root, p);
    if (e.isDirectory()) yield* walk(p);
  }
}

test('no path in the repository holds a character Windows refuses in file names', () => {
  const bad = [...walk(root)].filter((p) => p.split('/').some((part) => REFUSED.test(part)));
  assert.deepEqual(bad, []);
});
