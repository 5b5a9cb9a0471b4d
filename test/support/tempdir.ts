// Temporary directories for servers and fixtures, removed by the caller's cleanup.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function makeTempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `assay-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
