// The import graph of the project's own source, read the way the TypeScript compiler reads
// imports (ts.preProcessFile: static imports and re-exports, `import type` included, and dynamic
// import() calls), so comments and strings that look like imports are not counted. Specifiers
// resolve to files: relative ones by path, `@assay/<name>` through that workspace's
// package.json `exports`. Anything else (node:, npm packages) is outside the graph.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Generated code: never parsed, never counted (buf regenerates it from the .proto files). */
export const GENERATED = ['proto/gen/'];

export type WorkspaceKind = 'package' | 'service';

export interface Workspace {
  /** `@assay/store` */
  readonly name: string;
  /** `packages/store`, relative to the repository root. */
  readonly dir: string;
  readonly kind: WorkspaceKind;
  /** The file `import '@assay/…'` loads, relative to the root. */
  readonly entry: string;
}

export interface ModuleGraph {
  readonly workspaces: readonly Workspace[];
  /** Every source file of the graph (root-relative), each with the files it imports. */
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

/** Source directories whose files make up the graph (tests and benches import from them). */
export const SOURCE_DIRS = ['proto/src', 'packages/*/src', 'services/*/src', 'scripts', 'bench'];

const rel = (abs: string) => relative(ROOT, abs).split('\\').join('/');

function expand(pattern: string): string[] {
  const [head, star, tail] = pattern.split(/\/(\*)\//);
  if (star === undefined) return existsSync(join(ROOT, pattern)) ? [pattern] : [];
  return readdirSync(join(ROOT, head!))
    .map((d) => `${head}/${d}/${tail}`)
    .filter((p) => existsSync(join(ROOT, p)));
}

/** Every .ts/.mjs/.js file under the source directories, root-relative, generated code aside. */
export function sourceFiles(dirs: readonly string[] = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs)) {
      if (entry === 'node_modules') continue;
      const p = join(abs, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|mjs|js)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(rel(p));
    }
  };
  for (const d of dirs.flatMap(expand)) walk(join(ROOT, d));
  return out.filter((f) => !GENERATED.some((g) => f.startsWith(g))).sort();
}

export function workspaces(): Workspace[] {
  const out: Workspace[] = [];
  for (const [parent, kind] of [
    ['packages', 'package'],
    ['services', 'service'],
  ] as const) {
    for (const d of readdirSync(join(ROOT, parent))) out.push(...workspaceAt(`${parent}/${d}`, kind));
  }
  out.push(...workspaceAt('proto', 'package'));
  return out;
}

function workspaceAt(dir: string, kind: WorkspaceKind): Workspace[] {
  const file = join(ROOT, dir, 'package.json');
  if (!existsSync(file)) return [];
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: unknown; main?: string };
  if (typeof pkg.name !== 'string' || !pkg.name.startsWith('@assay/')) return [];
  const exp = pkg.exports as Record<string, unknown> | string | undefined;
  const target = typeof exp === 'string' ? exp : typeof exp?.['.'] === 'string' ? exp['.'] : (pkg.main ?? './src/index.ts');
  return [{ name: pkg.name, dir, kind, entry: rel(resolve(ROOT, dir, target as string)) }];
}

/** The workspace a root-relative file belongs to, if any. */
export function workspaceOf(file: string, all: readonly Workspace[]): Workspace | undefined {
  return all.find((w) => file.startsWith(`${w.dir}/`));
}

function resolveSpecifier(from: string, spec: string, byName: ReadonlyMap<string, Workspace>): string | undefined {
  if (spec.startsWith('.')) {
    const abs = resolve(ROOT, dirname(from), spec);
    for (const candidate of [abs, `${abs}.ts`, join(abs, 'index.ts')]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return rel(candidate);
    }
    // A generated module imported by its emitted name (`../gen/…_pb.js`): outside the graph.
    const r = rel(abs);
    return GENERATED.some((g) => r.startsWith(g)) ? undefined : r;
  }
  const m = /^(@assay\/[^/]+)(\/.*)?$/.exec(spec);
  if (!m) return undefined;
  const w = byName.get(m[1]!);
  if (!w) return undefined;
  return m[2] === undefined ? w.entry : rel(resolve(ROOT, w.dir, `.${m[2]}`));
}

export function moduleGraph(files: readonly string[] = sourceFiles()): ModuleGraph {
  const all = workspaces();
  const byName = new Map(all.map((w) => [w.name, w]));
  const imports = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      const target = resolveSpecifier(file, fileName, byName);
      if (target !== undefined && target !== file) targets.add(target);
    }
    imports.set(file, [...targets].sort());
  }
  return { workspaces: all, imports };
}

/**
 * Import cycles: the strongly connected components of more than one file (Tarjan), each
 * listed from its first file in path order, so a failure names the files to untangle.
 */
export function importCycles(graph: ModuleGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.imports.get(v) ?? []) {
      if (!graph.imports.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.imports.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
