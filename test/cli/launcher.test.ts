// The `assay` launcher run by an older Node (the machine's own, as `npx assay` finds it first on
// PATH): it hands over to the Node 24 that `npm start` / `npm test` put in .toolchain/, and only
// without one stops with an error saying how to get it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../support/tempdir.ts';
import { LAUNCHER, type CliRun } from './helpers.ts';

const REPO = join(dirname(LAUNCHER), '..', '..', '..');
const TOOLCHAIN_NODE = join(REPO, '.toolchain', 'node24', 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');

/** A Node older than 24 on this machine (the system's), or undefined. */
const OLD_NODE: string | undefined = (() => {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
    if (Number(version.replace(/^v/, '').split('.')[0]) < 24) return candidate;
  }
  return undefined;
})();

function run(node: string, launcher: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(node, [launcher, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') return reject(err);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the assay launcher on a Node older than 24', { skip: OLD_NODE === undefined && 'no Node older than 24 on this machine' }, () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    dir = await makeTempDir('cli-launcher');
  });
  after(() => dir?.remove());

  it(
    "runs the command under the project's Node 24 from .toolchain/",
    { skip: !existsSync(TOOLCHAIN_NODE) && 'no .toolchain/ Node 24 yet' },
    async () => {
      const help = await run(OLD_NODE!, LAUNCHER, ['--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: assay <command>/);
      // A command's own exit status comes through (2: a usage error, one line).
      const bad = await run(OLD_NODE!, LAUNCHER, ['frobnicate']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^assay: unknown command "frobnicate"/);
    },
  );

  it('without a .toolchain/ Node 24, says so and names npm start / npm test', async () => {
    // The launcher alone in a tree of the repository's shape that has no .toolchain/.
    const bin = join(dir.path, 'packages', 'cli', 'bin');
    await mkdir(bin, { recursive: true });
    await copyFile(LAUNCHER, join(bin, 'assay.mjs'));
    const r = await run(OLD_NODE!, join(bin, 'assay.mjs'), ['--help']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^assay: needs Node\.js 24 or newer \(this is v\d+\.[^)]*\);.*`npm start` or `npm test`/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
