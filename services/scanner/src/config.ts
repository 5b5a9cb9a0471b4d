// scanner's own configuration variables, on top of the common ones (and the store's).
import { annotate, bool, durationMs, int, str, url, z } from '@assay/config';
import { storeSettings } from '@assay/store';
import { registryListField } from '@assay/registry-client';
import { parse as parseYaml } from 'yaml';
import { InvalidCheckError, parseChecks, type CheckDefinition, type RegisteredBaseImage } from '@assay/inventory';
import { CLAMD_ADDRESS_EXPECTED, parseClamdAddress, type ClamdAddress } from '@assay/clamav';
import { DEFAULT_LIMITS, formatBytes, GiB, MiB, type LayerLimits } from '@assay/scan-engine';
import { OSV_DEFAULT_ECOSYSTEMS, OSV_EXPORT_BASE } from '@assay/vulndb';

/** A size in bytes: `1048576`, `512KiB`, `64MiB`, `8GiB` (also KB/MB/GB as powers of 1000). */
export function byteSize(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const expected = `a size in bytes (e.g. 1048576, 512KiB, 64MiB, 8GiB; ${formatBytes(min)}..${formatBytes(max)})`;
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    tib: 1024 ** 4,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    tb: 1e12,
  };
  return annotate(
    z.string().transform((s, ctx): number => {
      const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(s.trim());
      const unit = units[(m?.[2] ?? '').toLowerCase()];
      const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `is not ${expected}` });
        return z.NEVER;
      }
      return n;
    }),
    { expected },
  );
}

/** Where newer vulnerability databases come from. */
export type VulnDbSource =
  | { kind: 'oci'; registry: string; repository: string; tag: string; text: string }
  | { kind: 'url'; url: string; text: string }
  /** osv.dev's per-ecosystem exports (or a mirror laid out the same), built into the database here. */
  | { kind: 'osv'; baseUrl: string; ecosystems: string[]; text: string };

/**
 * `oci://host[:port]/repository[:tag]` (tag `latest` when absent), an `http(s)://` URL, or
 * `osv[:<Ecosystem>,…][@<base URL>]` (osv.dev's exports; OSV_DEFAULT_ECOSYSTEMS when none named).
 */
export function vulnDbSourceField() {
  const expected =
    'oci://host[:port]/repository[:tag], an https:// URL of a database file, or osv[:<Ecosystem>,…][@<base URL>] (osv.dev exports)';
  return annotate(
    z.string().transform((s, ctx): VulnDbSource => {
      const t = s.trim();
      const oci = /^oci:\/\/([^/\s]+)\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$/.exec(t);
      if (oci) return { kind: 'oci', registry: oci[1]!, repository: oci[2]!, tag: oci[3] ?? 'latest', text: t };
      const osv = /^osv(?::([^@]+))?(?:@(https?:\/\/\S+))?$/.exec(t);
      if (osv) {
        const ecosystems = osv[1]
          ? osv[1]
              .split(',')
              .map((e) => e.trim())
              .filter(Boolean)
          : [...OSV_DEFAULT_ECOSYSTEMS];
        if (ecosystems.length > 0) return { kind: 'osv', baseUrl: osv[2] ?? OSV_EXPORT_BASE, ecosystems, text: t };
      }
      let u: URL | undefined;
      try {
        u = new URL(t);
      } catch {
        u = undefined;
      }
      if (u && (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '') return { kind: 'url', url: t, text: t };
      ctx.addIssue({ code: 'custom', message: `is not ${expected}` });
      return z.NEVER;
    }),
    { expected },
  );
}

/** `host:port`, `[v6]:port` or `unix:/path/to/clamd.sock`. */
export function clamdAddressField() {
  return annotate(
    z.string().transform((s, ctx): ClamdAddress & { text: string } => {
      const address = parseClamdAddress(s);
      if (address) return { ...address, text: s.trim() };
      ctx.addIssue({ code: 'custom', message: `is not ${CLAMD_ADDRESS_EXPECTED}` });
      return z.NEVER;
    }),
    { expected: CLAMD_ADDRESS_EXPECTED },
  );
}

/** The parsed document (empty → []), or undefined after adding an issue. */
function yamlOrJson(s: string, ctx: { addIssue(i: { code: 'custom'; message: string }): void }): unknown {
  try {
    return (parseYaml(s) as unknown) ?? [];
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON or YAML' });
    return undefined;
  }
}

/** Custom compliance checks (@assay/inventory's definitions), validated at start. */
export function scannerChecksField() {
  const expected = 'a JSON/YAML list of check definitions ([{id, kind, ...}])';
  return annotate(
    z.string().transform((s, ctx): CheckDefinition[] => {
      const data = yamlOrJson(s, ctx);
      if (data === undefined) return z.NEVER;
      try {
        // Field names relative to the variable (`SCANNER_CHECKS[1].pattern`).
        return parseChecks(data, 'SCANNER_CHECKS');
      } catch (err) {
        if (!(err instanceof InvalidCheckError)) throw err;
        const first = err.problems[0];
        ctx.addIssue({
          code: 'custom',
          message: `is not a valid check list: ${first ? `${first.field} ${first.message}` : err.message}${err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : ''}`,
        });
        return z.NEVER;
      }
    }),
    { expected },
  );
}

const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const baseImageSchema = z.array(
  z.strictObject({
    name: z.string().min(1).max(1000),
    digest: z.string().regex(DIGEST_RE, 'must be a digest (sha256:<hex>)'),
    diffIds: z.array(z.string().regex(DIGEST_RE, 'must be a diff_id (sha256:<hex>)')).min(1),
  }),
);

/** Registered base images: `[{name, digest, diffIds}]`. */
export function baseImagesField() {
  const expected = 'a JSON/YAML list of base images ([{name, digest, diffIds: [sha256:...]}])';
  return annotate(
    z.string().transform((s, ctx): RegisteredBaseImage[] => {
      const data = yamlOrJson(s, ctx);
      if (data === undefined) return z.NEVER;
      const r = baseImageSchema.safeParse(data);
      if (!r.success) {
        const i = r.error.issues[0];
        const field = (i?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        ctx.addIssue({ code: 'custom', message: `is not a valid base image list: SCANNER_BASE_IMAGES${field} ${i?.message ?? ''}`.trim() });
        return z.NEVER;
      }
      return r.data;
    }),
    { expected },
  );
}

export const scannerConfig = {
  ...storeSettings(),
  SCANNER_REGISTRIES: registryListField('a JSON/YAML list of registries ([{name, url, insecure, ca, credentials}], as WATCHER_REGISTRIES)')
    .default([])
    .describe(
      'Registries to pull from: JSON/YAML list of {name, url, insecure, ca, credentials} (the WATCHER_REGISTRIES shape); others are pulled anonymously (HTTPS; plain HTTP for loopback hosts)',
    ),
  SCANNER_KUBE_PULL_SECRETS: bool()
    .default(false)
    .describe(
      "Pull images found running in the cluster with their workload's imagePullSecrets (read through the Kubernetes API; needs get on secrets), else with the registry credentials above; a secret not found, not readable or without an entry for the registry falls back to them, with a warning in the report",
    ),
  SCANNER_KUBE_API_URL: url({ protocols: ['https', 'http'] })
    .optional()
    .describe(
      'Kubernetes API server for reading image pull secrets; in a cluster KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA are used',
    ),
  SCANNER_KUBE_TOKEN_FILE: str('a file path')
    .optional()
    .describe('Bearer token file for the Kubernetes API, re-read at every connection (default in a cluster: the service-account token)'),
  SCANNER_KUBE_CA: str('a file path')
    .optional()
    .describe('CA bundle (PEM) the Kubernetes API server certificate must chain to (default in a cluster: the service-account ca.crt)'),
  SCANNER_PULL_SECRETS_CACHE: durationMs()
    .default(180_000)
    .describe('How long a parsed image pull secret is used before it is read again (a rotated secret is picked up after this)'),
  SCAN_CONCURRENCY: int({ min: 1, max: 64 }).default(2).describe('Images scanned at once by this replica'),
  SCAN_MAX_DELIVERIES: int({ min: 1, max: 100 })
    .default(5)
    .describe('Deliveries of a scan job failing on transient errors (registry unreachable) before the scan is recorded as FAILED'),
  SCAN_RETRY_BACKOFF: durationMs()
    .default(5000)
    .describe('First redelivery delay of a scan job after a transient error; doubles per delivery'),
  SCAN_REGISTRY_TIMEOUT: durationMs().default(60_000).describe('Timeout of one registry request (until headers, then between body chunks)'),
  SCAN_MAX_LAYER_INFLATED: byteSize({ min: 1024, max: 1024 * GiB })
    .default(8 * GiB)
    .describe('Most bytes one layer may inflate to; more aborts the scan (decompression bombs)'),
  SCAN_MAX_LAYER_ENTRIES: int({ min: 1, max: 100_000_000 }).default(DEFAULT_LIMITS.maxEntries).describe('Most tar entries in one layer'),
  SCAN_MAX_PATH_LENGTH: int({ min: 64, max: 1_048_576 }).default(DEFAULT_LIMITS.maxPathLength).describe('Longest tar entry path, in bytes'),
  SCAN_MAX_FILE_SIZE: byteSize({ min: 1024, max: 4 * GiB })
    .default(DEFAULT_LIMITS.maxFileSize)
    .describe('Largest file handed to an analyzer (an analyzer may set a lower bound)'),
  SCAN_MAX_GROUP_BYTES: byteSize({ min: 1024, max: 16 * GiB })
    .default(DEFAULT_LIMITS.maxGroupBytes)
    .describe('File content held for group analyzers per layer (dpkg status and lists, lockfiles)'),
  SCAN_LAYER_CACHE: bool().default(true).describe('Reuse cached per-layer analyses (keyed by layer digest and analyzer versions)'),
  SCAN_LAYER_CACHE_MAX_AGE: durationMs()
    .default(30 * 24 * 3600_000)
    .describe('Layer analyses no scan has used for this long are evicted from the store'),
  SCAN_MAINTENANCE_INTERVAL: durationMs()
    .default(6 * 3600_000)
    .describe('How often the scanner evicts unused layer analyses and removes orphaned report chunks (also once at start)'),
  CLAMD_ADDRESS: clamdAddressField()
    .optional()
    .describe('ClamAV daemon for malware scanning (host:port or unix:/path); unset = malware scanning disabled (reported as a warning)'),
  CLAMD_MAX_STREAM: byteSize({ min: 1024, max: 4 * GiB })
    .default(25 * MiB)
    .describe(
      "Most bytes sent to clamd in one INSTREAM; must not exceed clamd's StreamMaxLength (a layer larger than this is scanned file by file; a larger file is reported as not scanned)",
    ),
  SCANNER_CHECKS: scannerChecksField()
    .default([])
    .describe(
      'Custom compliance checks evaluated over the final filesystem, the image config and the packages: JSON/YAML list of check definitions',
    ),
  SCANNER_BASE_IMAGES: baseImagesField()
    .default([])
    .describe('Registered base images, identified by their layer chain: JSON/YAML list of {name, digest, diffIds}'),
  TRUST_VERIFY: bool()
    .default(true)
    .describe('Discover and verify the signatures and attestations of every scanned image (cosign tags, OCI referrers, Sigstore bundles)'),
  TRUST_PUBLIC_GOOD_ROOT: bool()
    .default(true)
    .describe("Trust keyless certificates of Sigstore's public-good instance (its trusted root as shipped with Assay; no network)"),
  TRUST_ROOTS: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
    )
    .describe(
      'Private Sigstore trusted roots (trusted_root.json files, comma-separated) for keyless certificates of your own Fulcio, Rekor and TSA',
    ),
  VULNDB_DIR: str('a directory path')
    .optional()
    .describe(
      'Directory of the vulnerability database file (vulndb.sqlite); default <directory of SQLITE_PATH>/vulndb (a temporary directory with SQLITE_PATH=:memory:)',
    ),
  VULNDB_SOURCE: vulnDbSourceField()
    .optional()
    .describe(
      "Where newer databases are published: oci://host[:port]/repository[:tag] or an https:// URL; osv = built here from osv.dev's per-ecosystem exports (osv:npm,Debian to name them, @<base URL> for a mirror); unset = air-gapped (only the file in VULNDB_DIR, installed by hand)",
    ),
  VULNDB_INSECURE: bool().default(false).describe('Fetch VULNDB_SOURCE over plain HTTP (a loopback or lab registry)'),
  VULNDB_CHECK_INTERVAL: durationMs()
    .default(3_600_000)
    .describe('How often to look for a newer database (VULNDB_SOURCE, else the file in VULNDB_DIR); 0 = only at start'),
};

export type ScannerShape = typeof scannerConfig;

export function limitsFrom(c: {
  SCAN_MAX_LAYER_INFLATED: number;
  SCAN_MAX_LAYER_ENTRIES: number;
  SCAN_MAX_PATH_LENGTH: number;
  SCAN_MAX_FILE_SIZE: number;
  SCAN_MAX_GROUP_BYTES: number;
}): LayerLimits {
  return {
    ...DEFAULT_LIMITS,
    maxInflatedBytes: c.SCAN_MAX_LAYER_INFLATED,
    maxEntries: c.SCAN_MAX_LAYER_ENTRIES,
    maxPathLength: c.SCAN_MAX_PATH_LENGTH,
    maxFileSize: c.SCAN_MAX_FILE_SIZE,
    maxGroupBytes: c.SCAN_MAX_GROUP_BYTES,
  };
}
