// Facts from the image config blob: who it runs as, what it runs, what it exposes, where it came
// from. Environment variables are reported by NAME only: their values may be secrets, and no
// secret leaves the scanner.
import { isObject } from '@assay/kit';

export interface HistoryFact {
  created?: string;
  createdBy?: string;
  emptyLayer: boolean;
  comment?: string;
}

export interface ConfigFacts {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  user?: string;
  /** Names only, in the config's order, never values. */
  envNames: string[];
  exposedPorts: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  volumes: string[];
  stopSignal?: string;
  labels: Record<string, string>;
  /** OCI annotations `org.opencontainers.image.base.name` / `.base.digest` (manifest, or labels). */
  baseImage?: { name?: string; digest?: string };
  history: HistoryFact[];
  /** Whether the image runs as root (no user, `root`, `0`, `0:…`). */
  runsAsRoot: boolean;
}

export interface ParsedImageConfig {
  facts: ConfigFacts;
  diffIds: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strArray = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const keys = (v: unknown): string[] => (isObject(v) ? Object.keys(v).sort() : []);

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

export class ImageConfigError extends Error {}

/** Parses the config blob (JSON) with the manifest's annotations. */
export function parseImageConfig(bytes: Buffer, manifestAnnotations: Record<string, string> = {}): ParsedImageConfig {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ImageConfigError('the image config is not JSON');
  }
  if (!isObject(json)) throw new ImageConfigError('the image config is not a JSON object');
  const c = (json.config ?? {}) as Record<string, unknown>;
  const rootfs = (json.rootfs ?? {}) as Record<string, unknown>;
  const diffIds = strArray(rootfs.diff_ids) ?? [];
  const labels = stringRecord(c.Labels);
  const user = str(c.User);
  const baseName = manifestAnnotations['org.opencontainers.image.base.name'] ?? labels['org.opencontainers.image.base.name'];
  const baseDigest = manifestAnnotations['org.opencontainers.image.base.digest'] ?? labels['org.opencontainers.image.base.digest'];
  const history: HistoryFact[] = (Array.isArray(json.history) ? json.history : []).map((h: unknown) => {
    const r = (h ?? {}) as Record<string, unknown>;
    const created = str(r.created);
    const createdBy = str(r.created_by);
    const comment = str(r.comment);
    return {
      ...(created ? { created } : {}),
      ...(createdBy ? { createdBy } : {}),
      emptyLayer: r.empty_layer === true,
      ...(comment ? { comment } : {}),
    };
  });
  const envNames = (strArray(c.Env) ?? []).map((e) => {
    const eq = e.indexOf('=');
    return eq < 0 ? e : e.slice(0, eq);
  });
  const entrypoint = strArray(c.Entrypoint);
  const cmd = strArray(c.Cmd);
  const facts: ConfigFacts = {
    ...(str(json.architecture) ? { architecture: str(json.architecture)! } : {}),
    ...(str(json.os) ? { os: str(json.os)! } : {}),
    ...(str(json.variant) ? { variant: str(json.variant)! } : {}),
    ...(str(json.created) ? { created: str(json.created)! } : {}),
    ...(user ? { user } : {}),
    envNames,
    exposedPorts: keys(c.ExposedPorts),
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(str(c.WorkingDir) ? { workingDir: str(c.WorkingDir)! } : {}),
    volumes: keys(c.Volumes),
    ...(str(c.StopSignal) ? { stopSignal: str(c.StopSignal)! } : {}),
    labels,
    ...(baseName || baseDigest
      ? { baseImage: { ...(baseName ? { name: baseName } : {}), ...(baseDigest ? { digest: baseDigest } : {}) } }
      : {}),
    history,
    runsAsRoot: user === undefined || /^(root|0)(:.*)?$/.test(user),
  };
  return { facts, diffIds };
}

/** `created_by` of each non-empty layer, in layer order (history entries with empty_layer skipped). */
export function layerHistory(facts: ConfigFacts, layerCount: number): (string | undefined)[] {
  const nonEmpty = facts.history.filter((h) => !h.emptyLayer);
  if (nonEmpty.length !== layerCount) return new Array<string | undefined>(layerCount).fill(undefined);
  return nonEmpty.map((h) => h.createdBy);
}
