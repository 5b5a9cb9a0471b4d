// apk: lib/apk/db/installed (Alpine, Wolfi, Chainguard). One stanza per package, one `X:value`
// per line: P name, V version, A arch, o origin (source package), L licence, F directory and
// R file beneath it (installed files), p provides, D depends, t build time, c aports commit.
import type { AnalysisFile, AnalysisResult, FileAnalyzer, LayerContext, Package } from '../analyzer.ts';
import { purl } from '../purl.ts';
import { distroQualifier, osPurlNamespace, packageDbResult, type PackageDbContents } from './common.ts';

export const APK_INSTALLED = 'lib/apk/db/installed';

/**
 * Licence field → licences. An SPDX expression (`MIT AND BSD-2-Clause`, parentheses, OR, WITH)
 * is kept whole, so its meaning survives for the normaliser; older databases list several
 * names separated by spaces (`MIT BSD GPL2+`), which are split.
 */
export function splitApkLicence(l: string): string[] {
  const v = l.trim();
  if (!v) return [];
  if (/[()]|\s(AND|OR|WITH)\s/i.test(v)) return [v];
  return [...new Set(v.split(/\s+/))];
}

interface Entry {
  name?: string;
  version?: string;
  arch?: string;
  origin?: string;
  licence?: string;
  commit?: string;
  buildTime?: number;
  provides: string[];
  depends: string[];
  files: string[];
  line: number;
}

/** Dependency / provides token → the name it refers to (`so:libc.so=1` → `so:libc.so`, `musl>=1` → `musl`). */
const depName = (t: string): string => t.replace(/[<>=~].*$/, '');

/** Parses an installed DB. Never throws. */
export function parseApkInstalled(text: string, ctx: LayerContext): PackageDbContents {
  const warnings: string[] = [];
  const entries: Entry[] = [];
  let cur: Entry | undefined;
  let dir = '';
  const lines = text.split('\n');
  const flush = () => {
    if (cur) entries.push(cur);
    cur = undefined;
    dir = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      warnings.push(`line ${i + 1}: not an apk field: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    cur ??= { provides: [], depends: [], files: [], line: i + 1 };
    const v = line.slice(2);
    switch (line[0]) {
      case 'P':
        cur.name = v;
        break;
      case 'V':
        cur.version = v;
        break;
      case 'A':
        cur.arch = v;
        break;
      case 'o':
        cur.origin = v;
        break;
      case 'L':
        cur.licence = v;
        break;
      case 'c':
        cur.commit = v;
        break;
      case 't':
        cur.buildTime = Number(v);
        break;
      case 'p':
        cur.provides.push(...v.split(/\s+/).filter(Boolean).map(depName));
        break;
      case 'D':
        cur.depends.push(
          ...v
            .split(/\s+/)
            .filter((d) => d && !d.startsWith('!'))
            .map(depName),
        );
        break;
      case 'F':
        dir = v;
        break;
      case 'R':
        cur.files.push(dir ? `${dir}/${v}` : v);
        break;
      default:
        break;
    }
  }
  flush();

  const namespace = osPurlNamespace('apk', ctx.os?.family);
  const valid: Entry[] = [];
  for (const e of entries) {
    if (!e.name || !e.version) {
      warnings.push(`line ${e.line}: package ${e.name ?? '(no name)'} without ${e.name ? 'version' : 'name'} skipped`);
      continue;
    }
    valid.push(e);
  }
  // Names and provides → package id, for resolving D: lines (Trivy's consolidateDependencies).
  const provider = new Map<string, string>();
  for (const e of valid) {
    const id = `${e.name}@${e.version}`;
    provider.set(e.name as string, id);
    for (const p of e.provides) if (!provider.has(p)) provider.set(p, id);
  }
  const files: string[] = [];
  const packages = valid.map((e): Package => {
    const id = `${e.name}@${e.version}`;
    const deps = [...new Set(e.depends.map((d) => provider.get(d)).filter((x): x is string => x !== undefined && x !== id))].sort();
    files.push(...e.files);
    const licences = e.licence ? splitApkLicence(e.licence) : [];
    return {
      name: e.name as string,
      version: e.version as string,
      type: 'apk',
      purl: purl({
        type: 'apk',
        namespace,
        name: e.name as string,
        version: e.version,
        qualifiers: { arch: e.arch, distro: distroQualifier(ctx) },
      }),
      ...(e.arch ? { arch: e.arch } : {}),
      srcName: e.origin || (e.name as string),
      srcVersion: e.version as string,
      ...(licences.length ? { licences } : {}),
      ...(deps.length ? { dependsOn: deps } : {}),
    };
  });
  return { packages, files, warnings };
}

export const apkAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'apk',
  version: 1,
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    return path === APK_INSTALLED;
  },
  analyze(file: AnalysisFile, ctx: LayerContext): AnalysisResult | undefined {
    return packageDbResult('apk', file.path, () => parseApkInstalled(file.content.toString('utf8'), ctx));
  },
};
