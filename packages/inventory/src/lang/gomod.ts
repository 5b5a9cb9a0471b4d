// go.mod (with its go.sum): the modules a Go project requires, as Trivy and osv-scalibr read
// them. `require` lines in single and block form (`// indirect` marks an indirect one), `replace`
// applied (a versioned replacement only to that version, a bare one to every version; a
// replacement by a local directory has no version to report, so the module is skipped with a
// warning). The main module (`module`) is the project, not a dependency. Since Go 1.17 go.mod
// lists every module the build needs; before, the indirect ones are only in go.sum, so for a
// go.mod older than 1.17 the go.sum beside it adds its modules (those with a content hash, not
// only a `/go.mod` hash) as indirect. Versions keep Go's `v` (as Go binaries report them, so the
// same module has the same purl from either source). The `go`/`toolchain` directives give the
// least Go version, not the one that built anything: no stdlib package is reported from them
// (Trivy does so only in its "comprehensive" mode).
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { goPackage } from './gobinary.ts';
import { Collector, basename, dirname, joinPath, text, type Parsed } from './util.ts';

interface Line {
  n: number;
  tokens: string[];
  comment: string;
}

/** One line's tokens (quoted strings unquoted) and its trailing `//` comment. */
function lexLine(raw: string, n: number): Line | string {
  const tokens: string[] = [];
  let comment = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (raw.startsWith('//', i)) {
      comment = raw.slice(i + 2).trim();
      break;
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
      if (j >= raw.length) return `line ${n}: unterminated quoted string`;
      try {
        tokens.push(JSON.parse(raw.slice(i, j + 1)) as string);
      } catch {
        return `line ${n}: bad quoted string`;
      }
      i = j + 1;
    } else if (c === '`') {
      const j = raw.indexOf('`', i + 1);
      if (j < 0) return `line ${n}: unterminated raw string`;
      tokens.push(raw.slice(i + 1, j));
      i = j + 1;
    } else {
      let j = i;
      while (j < raw.length && !' \t\r()'.includes(raw[j]!) && !raw.startsWith('//', j)) j++;
      tokens.push(raw.slice(i, j));
      i = j;
    }
  }
  return { n, tokens, comment };
}

const KNOWN = new Set(['module', 'go', 'toolchain', 'godebug', 'require', 'replace', 'exclude', 'retract', 'tool', 'ignore']);

interface Require {
  path: string;
  version: string;
  indirect: boolean;
}

interface Replace {
  oldPath: string;
  oldVersion?: string;
  newPath: string;
  newVersion?: string;
}

export interface GoMod {
  module?: string;
  go?: string;
  requires: Require[];
  replaces: Replace[];
  warnings: string[];
}

/** The directives of a go.mod that say which modules it uses; problems as warnings. */
export function parseGoMod(content: string): GoMod {
  const out: GoMod = { requires: [], replaces: [], warnings: [] };
  let block: string | undefined;
  const lines = content.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const l = lexLine(lines[k]!, k + 1);
    if (typeof l === 'string') {
      out.warnings.push(l);
      continue;
    }
    if (!l.tokens.length) continue;
    let verb: string;
    let args: string[];
    if (block !== undefined) {
      if (l.tokens[0] === ')') {
        block = undefined;
        continue;
      }
      verb = block;
      args = l.tokens;
    } else {
      verb = l.tokens[0]!;
      args = l.tokens.slice(1);
      if (!KNOWN.has(verb)) {
        // Go itself refuses the file; as osv-scalibr, nothing of it is trusted.
        return { requires: [], replaces: [], warnings: [`not a go.mod file: line ${l.n}: unknown directive "${verb}"`] };
      }
      if (args[0] === '(') {
        if (args.length === 1) block = verb;
        else if (args.length === 2 && args[1] === ')')
          continue; // `require ()`
        else out.warnings.push(`line ${l.n}: unexpected tokens after "("`);
        continue;
      }
    }
    if (verb === 'module' && args[0]) out.module = args[0];
    else if (verb === 'go' && args[0]) out.go = args[0];
    else if (verb === 'require') {
      const [path, version] = args;
      if (!path || !version || args.length !== 2 || !version.startsWith('v')) {
        out.warnings.push(`line ${l.n}: malformed require "${args.join(' ')}"`);
        continue;
      }
      out.requires.push({ path, version, indirect: l.comment === 'indirect' || l.comment.startsWith('indirect;') });
    } else if (verb === 'replace') {
      const arrow = args.indexOf('=>');
      const left = arrow < 0 ? [] : args.slice(0, arrow);
      const right = arrow < 0 ? [] : args.slice(arrow + 1);
      if (left.length < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
        out.warnings.push(`line ${l.n}: malformed replace "${args.join(' ')}"`);
        continue;
      }
      const r: Replace = { oldPath: left[0]!, newPath: right[0]! };
      if (left[1]) r.oldVersion = left[1];
      if (right[1]) r.newVersion = right[1];
      out.replaces.push(r);
    }
  }
  if (block !== undefined) out.warnings.push(`unterminated "${block} (" block`);
  return out;
}

/** `1.16`, `1.21.3`, `1.22rc1` → whether it is older than Go 1.17. */
function olderThan117(go: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(go);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj < 1 || (maj === 1 && min < 17);
}

/** go.sum: modules whose content was hashed (`path version h1:…`), not those hashed for their go.mod alone. */
export function parseGoSum(content: string): { path: string; version: string }[] {
  const out: { path: string; version: string }[] = [];
  for (const line of content.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3 || !f[1]!.startsWith('v') || f[1]!.endsWith('/go.mod')) continue;
    out.push({ path: f[0]!, version: f[1]! });
  }
  return out;
}

/** The packages of one go.mod (and the go.sum beside it, when given). */
export function goModPackages(gomod: string, gosum?: string): Parsed {
  const mod = parseGoMod(gomod);
  const warnings = [...mod.warnings];
  const packages: Package[] = [];
  const replacementFor = (r: Require): Replace | undefined =>
    mod.replaces.find((x) => x.oldPath === r.path && x.oldVersion === r.version) ??
    mod.replaces.find((x) => x.oldPath === r.path && x.oldVersion === undefined);
  for (const r of mod.requires) {
    if (r.path === mod.module) continue;
    const rep = replacementFor(r);
    if (!rep) {
      packages.push(goPackage(r.path, r.version, { indirect: r.indirect }));
    } else if (rep.newVersion === undefined) {
      warnings.push(`${r.path} ${r.version} is replaced by the local directory ${rep.newPath}: not reported (it has no version)`);
    } else {
      packages.push(goPackage(rep.newPath, rep.newVersion, { indirect: r.indirect }));
    }
  }
  if (gosum !== undefined && mod.go !== undefined && olderThan117(mod.go)) {
    const known = new Set(mod.requires.map((r) => `${r.path}@${r.version}`));
    const replaced = new Set(mod.replaces.map((x) => x.oldPath));
    for (const s of parseGoSum(gosum)) {
      if (s.path === mod.module || known.has(`${s.path}@${s.version}`) || replaced.has(s.path)) continue;
      packages.push(goPackage(s.path, s.version, { indirect: true }));
    }
  }
  return { packages, warnings };
}

/** A go.mod inside the module cache is a dependency's own manifest, not a project in the image. */
function inModuleCache(path: string): boolean {
  return /(^|\/)pkg\/mod\/[^@]*@/.test(path);
}

export const goModAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'gomod',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required(path: string): boolean {
    const b = basename(path);
    return (b === 'go.mod' || b === 'go.sum') && !inModuleCache(path);
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('gomod');
    for (const p of [...fs.paths()].sort()) {
      if (basename(p) !== 'go.mod') continue;
      const mod = fs.get(p);
      if (!mod) continue;
      const sum = fs.get(joinPath(dirname(p), 'go.sum'));
      c.addParsed(p, goModPackages(text(mod.content), sum ? text(sum.content) : undefined));
    }
    return c.result();
  },
};
