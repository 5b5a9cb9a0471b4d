// Go binaries: the build info the linker embeds (what `go version -m` prints). Found by its
// magic `\xff Go buildinf:` (16-byte aligned). Go ≥ 1.18 writes the strings inline after the
// 32-byte header (flags bit 2: varint length + bytes); older toolchains store pointers to string
// headers, which we follow through the ELF program headers. Modinfo lines: path, mod, dep, `=>`
// (replaces the previous dep), build. Packages: the main module, deps, and stdlib.
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { binaryFormat, elfVaddrToOffset, parseElf, readUint } from './binary.ts';
import { Collector, makePackage } from './util.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

export function goPackage(path: string, version: string, extra: Partial<Pick<Package, 'indirect' | 'dependsOn'>> = {}): Package {
  const i = path.lastIndexOf('/');
  return makePackage({
    type: 'golang',
    name: path,
    version,
    namespace: i > 0 ? path.slice(0, i) : undefined,
    purlName: i > 0 ? path.slice(i + 1) : path,
    ...extra,
  });
}

function readVarint(b: Buffer, off: number): [number, number] | undefined {
  let v = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const x = b[off + i];
    if (x === undefined) return undefined;
    v += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return [v, off + i + 1];
    shift += 7;
  }
  return undefined;
}

export interface GoBuildInfo {
  goVersion: string;
  modinfo: string;
}

/** Finds and decodes the build info; undefined when the binary has none (not a Go binary). */
export function readGoBuildInfo(buf: Buffer): { info?: GoBuildInfo; warning?: string } {
  let at = -1;
  for (let from = 0; ;) {
    const i = buf.indexOf(MAGIC, from);
    if (i < 0) break;
    if (i % 16 === 0) {
      at = i;
      break;
    }
    from = i + 1;
  }
  if (at < 0 || at + 32 > buf.length) return {};
  const ptrSize = buf[at + 14]!;
  const flags = buf[at + 15]!;
  const readStr = (off: number): [string, number] | undefined => {
    const l = readVarint(buf, off);
    if (!l || l[0] > 64 * 1024 * 1024 || l[1] + l[0] > buf.length) return undefined;
    return [buf.toString('utf8', l[1], l[1] + l[0]), l[1] + l[0]];
  };
  let goVersion: string | undefined;
  let modinfo: string | undefined;
  if (flags & 2) {
    const v = readStr(at + 32);
    const m = v ? readStr(v[1]) : undefined;
    if (!v || !m) return { warning: 'truncated Go build info' };
    [goVersion, modinfo] = [v[0], m[0]];
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) return { warning: `bad pointer size ${ptrSize} in Go build info` };
    const le = !(flags & 1);
    const elf = parseElf(buf);
    if (!elf) return { warning: 'pre-1.18 Go build info is read from ELF binaries only' };
    const str = (ptrOff: number): string | undefined => {
      const hdrVa = readUint(buf, ptrOff, ptrSize, le);
      const hdr = hdrVa !== undefined ? elfVaddrToOffset(elf, hdrVa) : undefined;
      if (hdr === undefined) return undefined;
      const dataVa = readUint(buf, hdr, ptrSize, le);
      const len = readUint(buf, hdr + ptrSize, ptrSize, le);
      const data = dataVa !== undefined ? elfVaddrToOffset(elf, dataVa) : undefined;
      if (data === undefined || len === undefined || len > 64 * 1024 * 1024 || data + len > buf.length) return undefined;
      return buf.toString('utf8', data, data + len);
    };
    goVersion = str(at + 16);
    modinfo = str(at + 16 + ptrSize);
    if (goVersion === undefined) return { warning: 'unreadable Go build info pointers' };
    modinfo ??= '';
  }
  // Since Go 1.18 the modinfo string is framed by 16-byte sentinels.
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, modinfo.length - 16);
  return { info: { goVersion, modinfo } };
}

/** `go1.22.1`, `go1.21rc2 X:boringcrypto` → `1.22.1`, `1.21rc2`; undefined for devel builds. */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)/.exec(goVersion.trim());
  return m?.[1];
}

export function goModulePackages(info: GoBuildInfo): { packages: Package[]; main?: string } {
  const out: Package[] = [];
  let main: string | undefined;
  let mainVersion: string | undefined;
  const deps: { path: string; version: string }[] = [];
  for (const line of info.modinfo.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'mod' && f[1]) {
      main = f[1];
      mainVersion = f[2];
    } else if (f[0] === 'dep' && f[1] && f[2]) deps.push({ path: f[1], version: f[2] });
    else if (f[0] === '=>' && f[1] && deps.length) {
      // A replacement for the dep just before it; a local directory (no version) keeps the original.
      if (f[2]) deps[deps.length - 1] = { path: f[1], version: f[2] };
    }
  }
  for (const d of deps) out.push(goPackage(d.path, d.version));
  // The main module built from a checkout is `(devel)`: no version to report.
  if (main && mainVersion && mainVersion !== '(devel)')
    out.push(goPackage(main, mainVersion, { dependsOn: deps.map((d) => `${d.path}@${d.version}`) }));
  const sv = stdlibVersion(info.goVersion);
  if (sv) out.push(goPackage('stdlib', sv));
  return main ? { packages: out, main } : { packages: out };
}

export const goBinaryAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'gobinary',
  version: 1,
  maxFileSize: 200 * 1024 * 1024,
  required(path: string, info: FileInfo): boolean {
    if (!(info.mode & 0o111) || info.size < 1024) return false;
    // Cheap exclusions: scripts and libraries that are executable by accident.
    return !/\.(sh|py|pl|rb|js|txt|so(\.\d+)*)$/.test(path);
  },
  analyze(file: AnalysisFile) {
    if (!binaryFormat(file.content)) return undefined;
    const c = new Collector('gobinary');
    const r = readGoBuildInfo(file.content);
    if (r.warning) c.warn(file.path, r.warning);
    if (r.info) c.add(file.path, goModulePackages(r.info).packages);
    return c.result();
  },
};
