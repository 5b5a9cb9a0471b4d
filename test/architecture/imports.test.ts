// The layout rules of issue 17, kept: libraries never reach up into services, services never
// into each other, nothing imports in a circle, every package index says what it exports, and
// no source file grows past 400 lines. Each failure lists every offender, file by file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { importCycles, moduleGraph, ROOT, sourceFiles, workspaceOf, type Workspace } from './module-graph.ts';

const MAX_LINES = 400;

/**
 * Source files allowed past MAX_LINES, each with the reason. Source is SOURCE_DIRS (proto/src,
 * packages/<name>/src, services/<name>/src, scripts, bench); generated code (proto/gen) and tests are
 * not counted.
 */
const LONG_FILE_EXCEPTIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * Wildcard re-exports allowed in a package index, each with the reason: the protobuf code is
 * generated from the .proto files, whose messages are the export list (spelling them out by
 * hand would only drift from what buf generates).
 */
const EXPORT_STAR_EXCEPTIONS: readonly { file: string; from: RegExp; reason: string }[] = [
  { file: 'proto/src/index.ts', from: /^\.\.\/gen\//, reason: 'generated protobuf code' },
];

const graph = moduleGraph();

function fail(what: string, offenders: readonly string[]): string {
  return `${offenders.length} ${what}:\n  ${offenders.join('\n  ')}`;
}

/** Every import from a file of one workspace into a file of another that `refused` refuses. */
function importsAcross(refused: (from: Workspace, to: Workspace) => boolean): string[] {
  const offenders: string[] = [];
  for (const [file, targets] of graph.imports) {
    const from = workspaceOf(file, graph.workspaces);
    for (const t of targets) {
      const to = workspaceOf(t, graph.workspaces);
      if (from && to && refused(from, to)) offenders.push(`${file} → ${t} (${to.name})`);
    }
  }
  return offenders;
}

describe('architecture', () => {
  it('reads the whole source tree', () => {
    // Guards the checks below against passing on an empty graph (a moved directory, a bad glob).
    assert.ok(graph.imports.size > 200, `only ${graph.imports.size} source files found`);
    assert.ok(graph.imports.has('packages/store/src/index.ts'));
    assert.ok(graph.workspaces.some((w) => w.kind === 'service' && w.name === '@assay/admission'));
  });

  it('has no import cycles', () => {
    const cycles = importCycles(graph).map((c) => c.join(' ⇄ '));
    assert.deepEqual(cycles, [], fail('import cycles (files that import each other, directly or around)', cycles));
  });

  it('no package imports a service', () => {
    const offenders = importsAcross((from, to) => from.kind === 'package' && to.kind === 'service');
    assert.deepEqual(offenders, [], fail('package files importing a service', offenders));
  });

  it('no service imports another service', () => {
    const offenders = importsAcross((from, to) => from.kind === 'service' && to.kind === 'service' && to !== from);
    assert.deepEqual(offenders, [], fail('service files importing another service', offenders));
  });

  it('every package index lists its exports (no `export *`)', () => {
    const offenders: string[] = [];
    for (const w of graph.workspaces) {
      if (w.kind !== 'package') continue;
      const text = readFileSync(join(ROOT, w.entry), 'utf8');
      for (const statement of ts.createSourceFile(w.entry, text, ts.ScriptTarget.Latest).statements) {
        // `export * as name from` exports one name, explicitly; only the bare wildcard is refused.
        if (!ts.isExportDeclaration(statement) || statement.exportClause !== undefined) continue;
        const from = (statement.moduleSpecifier as ts.StringLiteral | undefined)?.text ?? '';
        if (EXPORT_STAR_EXCEPTIONS.some((e) => e.file === w.entry && e.from.test(from))) continue;
        offenders.push(`${w.entry}: export * from '${from}'`);
      }
    }
    assert.deepEqual(offenders, [], fail('wildcard re-exports in package indexes', offenders));
  });

  it(`no source file is over ${MAX_LINES} lines`, () => {
    const offenders: string[] = [];
    for (const file of sourceFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines > MAX_LINES && !LONG_FILE_EXCEPTIONS.has(file)) offenders.push(`${file}: ${lines} lines`);
    }
    assert.deepEqual(offenders, [], fail(`source files over ${MAX_LINES} lines`, offenders));
  });

  it('names an existing file in every exception', () => {
    const files = new Set(sourceFiles());
    const stale = [...LONG_FILE_EXCEPTIONS.keys(), ...EXPORT_STAR_EXCEPTIONS.map((e) => e.file)].filter((f) => !files.has(f));
    assert.deepEqual(stale, [], fail('exceptions naming files that no longer exist', stale));
  });
});
