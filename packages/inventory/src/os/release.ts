// OS detection: one group analyzer over the small release files a distribution ships.
// Priority (as Trivy and osv-scalibr do): os-release names the distribution (etc/ over
// usr/lib/); a distribution's own release file refines the version when it is more precise
// (debian_version 12.5 over VERSION_ID 12, centos-release 7.9.2009 over 7); the legacy files
// (lsb-release, *-release, SuSE-release) are used only when no os-release is present.
//
// Distroless (gcr.io/distroless) is Debian underneath: its packages are Debian's and its
// advisories are Debian's, so it is reported as family `debian` with `variant: 'distroless'`
// (detected from PRETTY_NAME="Distroless" or, with a Debian os-release, from dpkg status.d).
import type { AnalysisResult, GroupAnalyzer, LayerContext, OsInfo, VirtualFs } from '../analyzer.ts';

/** OsInfo plus what detection can say beyond it (kept structurally compatible with OsInfo). */
export interface DetectedOs extends OsInfo {
  /** `distroless` for Google's distroless images (family stays `debian`). */
  readonly variant?: string;
}

const RELEASE_FILES = new Set([
  'etc/os-release',
  'usr/lib/os-release',
  'etc/debian_version',
  'etc/lsb-release',
  'etc/alpine-release',
  'etc/redhat-release',
  'etc/centos-release',
  'etc/rocky-release',
  'etc/almalinux-release',
  'etc/system-release',
  'etc/SuSE-release',
]);
const STATUS_D = 'var/lib/dpkg/status.d/';

/** Parses an os-release / lsb-release style `KEY=value` file (quotes and escapes as the spec says). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    out[key] = value;
  }
  return out;
}

/** os-release ID → our family name (Trivy's names where it has one). */
const FAMILY_BY_ID: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  rhel: 'redhat',
  redhat: 'redhat',
  rocky: 'rocky',
  almalinux: 'alma',
  centos: 'centos',
  amzn: 'amazon',
  ol: 'oracle',
  fedora: 'fedora',
  'opensuse-leap': 'opensuse-leap',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  opensuse: 'opensuse-leap',
  sles: 'sles',
  sled: 'sles',
  'sle-micro': 'sle-micro',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  photon: 'photon',
  mariner: 'cbl-mariner',
  azurelinux: 'azurelinux',
};

const text = (fs: VirtualFs, path: string): string | undefined => {
  const f = fs.get(path);
  return f ? f.content.toString('utf8') : undefined;
};

/** `Foo Linux release 8.9 (Bar)` → `8.9`, codename `Bar`. */
function parseReleaseLine(line: string): { version: string; codename?: string } | undefined {
  const m = /release\s+([0-9][0-9.]*)\s*(?:\(([^)]*)\))?/i.exec(line);
  if (!m?.[1]) return undefined;
  return m[2] ? { version: m[1], codename: m[2] } : { version: m[1] };
}

function familyFromReleaseLine(line: string): string | undefined {
  const l = line.toLowerCase();
  if (l.startsWith('red hat')) return 'redhat';
  if (l.startsWith('centos')) return 'centos';
  if (l.startsWith('rocky')) return 'rocky';
  if (l.startsWith('almalinux')) return 'alma';
  if (l.startsWith('amazon')) return 'amazon';
  if (l.startsWith('oracle')) return 'oracle';
  if (l.startsWith('fedora')) return 'fedora';
  return undefined;
}

/** Pure detection over the release files (exported for tests and for a multi-layer merge). */
export function detectOs(fs: VirtualFs): DetectedOs | undefined {
  const osRelease = text(fs, 'etc/os-release') ?? text(fs, 'usr/lib/os-release');
  const debianVersion = text(fs, 'etc/debian_version')?.trim();
  const hasStatusD = [...fs.paths()].some((p) => p.startsWith(STATUS_D));

  if (osRelease !== undefined) {
    const kv = parseOsRelease(osRelease);
    const id = (kv.ID ?? '').toLowerCase();
    const family = FAMILY_BY_ID[id];
    if (family) {
      let name = kv.VERSION_ID ?? '';
      let codename = kv.VERSION_CODENAME || kv.UBUNTU_CODENAME || undefined;
      let variant: string | undefined;
      if (family === 'debian') {
        // debian_version carries the point release (12.5); testing/sid say `trixie/sid`.
        if (debianVersion && /^[0-9]/.test(debianVersion) && (!name || debianVersion.split('.')[0] === name.split('.')[0]))
          name = debianVersion;
        else if (!name && debianVersion) name = debianVersion;
        if (/distroless/i.test(kv.PRETTY_NAME ?? '') || hasStatusD) variant = 'distroless';
        // Distroless's os-release omits VERSION_CODENAME; VERSION is `Debian GNU/Linux 12 (bookworm)`.
        if (!codename) codename = /\(([a-z]+)\)/.exec(kv.VERSION ?? '')?.[1] ?? undefined;
      } else if (family === 'alpine') {
        const ar = text(fs, 'etc/alpine-release')?.trim();
        if (ar && (!name || ar.startsWith(name))) name = ar;
      } else if (family === 'centos' || family === 'rocky' || family === 'alma' || family === 'redhat') {
        const file = {
          centos: 'etc/centos-release',
          rocky: 'etc/rocky-release',
          alma: 'etc/almalinux-release',
          redhat: 'etc/redhat-release',
        }[family];
        const rl = parseReleaseLine(text(fs, file)?.split('\n')[0] ?? '');
        if (rl && (!name || rl.version.split('.')[0] === name.split('.')[0]) && rl.version.length > name.length) name = rl.version;
      }
      const os: DetectedOs = { family, name, ...(codename ? { codename } : {}), ...(variant ? { variant } : {}) };
      return os;
    }
    if (id) return { family: id, name: kv.VERSION_ID ?? '', ...(kv.VERSION_CODENAME ? { codename: kv.VERSION_CODENAME } : {}) };
  }

  // No (usable) os-release: legacy files, most specific first.
  const alpine = text(fs, 'etc/alpine-release')?.trim();
  if (alpine) return { family: 'alpine', name: alpine };

  for (const file of ['etc/centos-release', 'etc/rocky-release', 'etc/almalinux-release', 'etc/redhat-release', 'etc/system-release']) {
    const line = text(fs, file)?.split('\n')[0]?.trim();
    if (!line) continue;
    const family = familyFromReleaseLine(line);
    const rl = parseReleaseLine(line);
    if (family && rl) return { family, name: rl.version, ...(rl.codename ? { codename: rl.codename } : {}) };
  }

  const suse = text(fs, 'etc/SuSE-release');
  if (suse) {
    const first = suse.split('\n')[0] ?? '';
    const kv = Object.fromEntries([...suse.matchAll(/^\s*([A-Z_]+)\s*=\s*(.*?)\s*$/gm)].map((m) => [m[1], m[2]]));
    const version = kv.VERSION ?? '';
    const name = kv.PATCHLEVEL && kv.PATCHLEVEL !== '0' && !version.includes('.') ? `${version}.${kv.PATCHLEVEL}` : version;
    if (/opensuse/i.test(first)) return { family: 'opensuse-leap', name };
    if (/suse linux enterprise/i.test(first)) return { family: 'sles', name };
  }

  const lsb = text(fs, 'etc/lsb-release');
  if (lsb) {
    const kv = parseOsRelease(lsb);
    const family = FAMILY_BY_ID[(kv.DISTRIB_ID ?? '').toLowerCase()];
    if (family) return { family, name: kv.DISTRIB_RELEASE ?? '', ...(kv.DISTRIB_CODENAME ? { codename: kv.DISTRIB_CODENAME } : {}) };
  }

  if (debianVersion) return { family: 'debian', name: debianVersion, ...(hasStatusD ? { variant: 'distroless' } : {}) };
  return undefined;
}

export const osReleaseAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'os-release',
  version: 1,
  maxFileSize: 64 * 1024,
  required(path) {
    return RELEASE_FILES.has(path) || path.startsWith(STATUS_D);
  },
  analyzeGroup(files: VirtualFs, _ctx: LayerContext): AnalysisResult | undefined {
    // status.d alone (no release file in this layer) says nothing about the OS.
    if (![...files.paths()].some((p) => RELEASE_FILES.has(p))) return undefined;
    try {
      const os = detectOs(files);
      if (os) return { os };
      // A release file was there but named no distribution (no ID=, no release line): unreadable.
      const present = [...files.paths()].filter((p) => RELEASE_FILES.has(p)).sort();
      return { warnings: present.map((p) => `${p}: names no distribution; the OS is not known from this layer`) };
    } catch (e) {
      return { warnings: [`os-release: ${(e as Error).message}`] };
    }
  },
};
