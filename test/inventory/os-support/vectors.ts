// Test helpers for the OS analyzers: where the shared conformance vectors are (relative to the
// repository root, never a fixed path), a txtar reader, and AnalysisFile/VirtualFs builders.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisFile, VirtualFs } from '../../../packages/inventory/src/analyzer.ts';
import { virtualFs } from '../../../packages/inventory/src/ospkg/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** `<repo>/../shared/vectors/03-os-pkgdb`, or undefined when the vectors are not present. */
export const OS_VECTORS: string | undefined = (() => {
  const dir = join(REPO_ROOT, '..', 'shared', 'vectors', '03-os-pkgdb');
  return existsSync(dir) ? dir : undefined;
})();

export function file(path: string, content: string | Buffer): AnalysisFile {
  const b = typeof content === 'string' ? Buffer.from(content) : content;
  return { path, content: b, size: b.length, mode: 0o644 };
}

export function vfs(files: Iterable<AnalysisFile> | Record<string, string | Buffer>): VirtualFs {
  const list =
    Symbol.iterator in Object(files)
      ? [...(files as Iterable<AnalysisFile>)]
      : Object.entries(files as Record<string, string | Buffer>).map(([p, c]) => file(p, c));
  return virtualFs(list);
}

/** Go txtar: `-- path --` lines start files; text before the first is a comment. */
export function readTxtar(path: string): AnalysisFile[] {
  const out: AnalysisFile[] = [];
  let name: string | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (name !== undefined) out.push(file(name, buf.join('')));
  };
  for (const line of readFileSync(path, 'utf8').split(/(?<=\n)/)) {
    const m = /^-- (.+) --\r?\n?$/.exec(line);
    if (m?.[1]) {
      flush();
      name = m[1].trim();
      buf = [];
    } else if (name !== undefined) buf.push(line);
  }
  flush();
  return out;
}

/** Every regular file under dir, as AnalysisFiles with paths relative to `root`. */
export function readTree(dir: string, root: string = dir): AnalysisFile[] {
  const out: AnalysisFile[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...readTree(p, root));
    else if (st.isFile()) out.push(file(relative(root, p), readFileSync(p))); // symlinks are not files, as in a layer
  }
  return out;
}

/** Multiset equality helper: sorts JSON forms so order does not matter. */
export function sortedJson<T>(xs: readonly T[]): string[] {
  return xs.map((x) => JSON.stringify(x, Object.keys(x as object).sort())).sort();
}
