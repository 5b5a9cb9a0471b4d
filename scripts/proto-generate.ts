// One way to run buf generate, shared by the `proto:gen` script and the staleness test.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(repoRoot, 'proto');

/** Generates code into `outDir` (default proto/gen). */
export async function generateProto(outDir: string = join(protoDir, 'gen')): Promise<void> {
  const bin = join(repoRoot, 'node_modules', '.bin');
  const env = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  // buf writes to the `out` of buf.gen.yaml relative to the module; generate into a scratch
  // copy and move the result, so a custom output dir never touches proto/gen.
  const scratch = await mkdtemp(join(tmpdir(), 'assay-proto-'));
  try {
    await cp(protoDir, scratch, {
      recursive: true,
      filter: (src) => !src.includes(`${protoDir}/gen`) && !src.includes('node_modules'),
    });
    await run(join(bin, 'buf'), ['generate'], { cwd: scratch, env });
    await rm(outDir, { recursive: true, force: true });
    await cp(join(scratch, 'gen'), outDir, { recursive: true });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
