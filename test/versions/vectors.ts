// Locates the shared conformance vectors (<repo>/../shared/vectors) from this file's URL, so the
// tests read them in place. A missing set is skipped with a notice rather than failing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const vectorsRoot = join(repoRoot, '..', 'shared', 'vectors');

export function vectorPath(rel: string): string {
  return join(vectorsRoot, rel);
}

export function hasVector(rel: string): boolean {
  return existsSync(vectorPath(rel));
}

export function readVectorJson<T>(rel: string): T {
  return JSON.parse(readFileSync(vectorPath(rel), 'utf8')) as T;
}

export function readVectorText(rel: string): string {
  return readFileSync(vectorPath(rel), 'utf8');
}

export const missing = (rel: string): string => `vector set ${rel} not found under ${vectorsRoot}; skipped`;

export const sgn = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
