// Custom compliance checks over the image as a container sees it. The walker keeps, per layer,
// only what is at the paths the checks name (existence, and content up to each check's maxBytes),
// so the view is bounded by the check definitions, never by the image. The final answer for a
// path comes from the top-most layer that has it, unless a layer above deleted it (a `.wh.`
// whiteout of it or of a parent, or an opaque parent). Nothing from the image is ever run.
import {
  DEFAULT_CONTENT_BYTES,
  evaluateChecks,
  type CheckDefinition,
  type CheckFilesystem,
  type CheckResult,
  type Package,
} from '@assay/inventory';
import type { ConfigFacts } from './image-config.ts';
import { isUnder } from './paths.ts';
import type { CheckFileRecord, LayerAnalysis } from './walker.ts';

/** What nonRootUser reads to resolve a user name (evaluate.ts reads up to 1 MiB). */
const PASSWD = 'etc/passwd';
const PASSWD_BYTES = 1024 * 1024;

/** `/etc/./passwd` → `etc/passwd`, as evaluateChecks hands paths to the filesystem. */
function relative(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** Paths the checks name → bytes of content they need (0: existence only). */
export function checkPathsOf(defs: readonly CheckDefinition[]): Map<string, number> {
  const out = new Map<string, number>();
  const want = (path: string, bytes: number) => out.set(path, Math.max(out.get(path) ?? 0, bytes));
  for (const c of defs) {
    switch (c.kind) {
      case 'fileExists':
      case 'fileAbsent':
        want(relative(c.path), 0);
        break;
      case 'fileContentMatches':
      case 'fileContentNotMatches':
        want(relative(c.path), c.maxBytes ?? DEFAULT_CONTENT_BYTES);
        break;
      case 'nonRootUser':
        want(PASSWD, PASSWD_BYTES);
        break;
      default:
        break;
    }
  }
  return out;
}

function hiddenIn(path: string, layer: LayerAnalysis): boolean {
  return layer.whiteouts.some((t) => isUnder(path, t)) || layer.opaqueDirs.some((d) => path !== d && isUnder(path, d));
}

/** The final filesystem at the checks' paths, from the layers' records (lowest first). */
export function finalCheckFs(layers: readonly LayerAnalysis[]): CheckFilesystem {
  const resolve = (path: string): CheckFileRecord | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      // A layer's own entries win over its whiteouts: those delete from the layers below.
      const rec = l.checkFiles?.find((f) => f.path === path);
      if (rec) return rec;
      if (hiddenIn(path, l)) return undefined;
    }
    return undefined;
  };
  return {
    exists: (path) => resolve(path) !== undefined,
    read(path, maxBytes) {
      const rec = resolve(path);
      if (rec?.kind !== 'file' || rec.content === undefined) return undefined;
      return Buffer.from(rec.content, 'base64').subarray(0, maxBytes);
    },
  };
}

export function runChecks(
  defs: readonly CheckDefinition[],
  layers: readonly LayerAnalysis[],
  config: ConfigFacts | undefined,
  packages: readonly Package[],
): CheckResult[] {
  if (defs.length === 0) return [];
  return evaluateChecks(defs, {
    fs: finalCheckFs(layers),
    config: {
      ...(config?.user !== undefined ? { user: config.user } : {}),
      envNames: config?.envNames ?? [],
      labels: config?.labels ?? {},
      ...(config?.created !== undefined ? { created: config.created } : {}),
    },
    packages,
  });
}
