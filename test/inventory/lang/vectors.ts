// Helpers for the language analyzer tests: find the shared conformance vectors (read in place,
// never copied), build VirtualFs / AnalysisFile values, compare packages order-insensitively.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { AnalysisFile, AnalysisResult, Package, VirtualFs } from '../../../packages/inventory/src/analyzer.ts';
import { virtualFs } from '../../../packages/inventory/src/ospkg/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const VECTORS = path.resolve(repoRoot, '../shared/vectors/04-lockfiles');
export const haveVectors = existsSync(VECTORS);
export const skipNoVectors = haveVectors ? false : `conformance vectors missing at ${VECTORS}`;

export function vecPath(rel: string): string {
  return path.join(VECTORS, rel);
}

export function golden(rel: string): any {
  return JSON.parse(readFileSync(vecPath(rel), 'utf8'));
}

export function file(p: string, content: Buffer | string, mode = 0o644): AnalysisFile {
  const b = typeof content === 'string' ? Buffer.from(content) : content;
  return { path: p, content: b, size: b.length, mode };
}

export function vfs(files: Record<string, Buffer | string>): VirtualFs {
  return virtualFs(Object.entries(files).map(([p, c]) => file(p, c)));
}

export const ctx = { layerDigest: 'sha256:' + '0'.repeat(64) };

export function allPackages(r: AnalysisResult | undefined): Package[] {
  return (r?.packageSets ?? []).flatMap((s) => s.packages);
}

/** Sorted unique `name@version` keys. */
export function ids(pkgs: readonly { name: string; version: string }[]): string[] {
  return [...new Set(pkgs.map((p) => `${p.name}@${p.version}`))].sort();
}

/** Sorted unique `name@version[flags]` keys with a projection of extra flags. */
export function keyed<T>(pkgs: readonly T[], key: (p: T) => string): string[] {
  return [...new Set(pkgs.map(key))].sort();
}
