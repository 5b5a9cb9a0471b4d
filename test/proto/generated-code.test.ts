// The checked-in generated code must be exactly what the .proto files generate today.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '../support/tempdir.ts';
import { generateProto, repoRoot } from '../../scripts/proto-generate.ts';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

test('proto/gen is what buf generates from proto/**/*.proto (run `npm run proto:gen` if this fails)', async () => {
  const tmp = await makeTempDir('proto-gen');
  try {
    await generateProto(tmp.path);
    const committed = join(repoRoot, 'proto', 'gen');
    const want = await listFiles(tmp.path);
    assert.ok(want.length >= 5, 'generation produced the message modules');
    assert.deepEqual(await listFiles(committed), want, 'same set of generated files');
    for (const f of want) {
      const [a, b] = await Promise.all([readFile(join(tmp.path, f), 'utf8'), readFile(join(committed, f), 'utf8')]);
      assert.equal(b, a, `proto/gen/${f} is stale`);
    }
  } finally {
    await tmp.remove();
  }
});

test('the .proto files pass buf lint', async () => {
  const bin = join(repoRoot, 'node_modules', '.bin', 'buf');
  const { stdout, stderr } = await promisify(execFile)(bin, ['lint'], { cwd: join(repoRoot, 'proto') }).catch(
    (err: { stdout: string; stderr: string }) => {
      assert.fail(`buf lint failed:\n${err.stdout}${err.stderr}`);
    },
  );
  assert.equal(stdout + stderr, '');
});
