// Registries as configured (registry-watcher's WATCHER_REGISTRIES, the scanner's
// SCANNER_REGISTRIES): a JSON/YAML list validated into `RegistrySpec`s. Credential files
// (passwordFile, dockerConfigFile) are read here, at start, so a missing file is a configuration
// error naming its field rather than a failure at the first poll.
//
//   WATCHER_REGISTRIES:
//     - name: local                      # [a-z0-9][a-z0-9._-]*; /registry/events/local
//       url: http://127.0.0.1:5000       # or https://…, or host:port (https unless insecure)
//       host: localhost:30500            # host[:port] image references name, when it is not the
//                                        # URL's (a kind NodePort the node pulls from, while Assay
//                                        # reaches the same registry at its in-cluster Service URL)
//       insecure: false                  # plain HTTP / unverified TLS
//       ca: /etc/assay/registry-ca.pem   # extra CA bundle (optional)
//       credentials: {username: u, password: p}   # or {username, passwordFile} or {dockerConfigFile}
//       repositories: [team/app]         # poll these instead of the catalog (optional)
//       include: ["**"]                  # picomatch globs over repository names
//       exclude: []
//       pollIntervalSeconds: 300         # 0 = no polling
//       trustNotifications: true         # accept push notifications for this registry
//       notificationHosts: []            # extra host names its notifications may name (request.host)
//       concurrency: 4                   # registry requests in flight at once while polling
import { readFileSync } from 'node:fs';
import { annotate, z } from '@assay/config';
import { parse as parseYaml } from 'yaml';

export interface RegistryCredentialsSpec {
  username: string;
  password: string;
}

export interface RegistrySpec {
  readonly name: string;
  /** `host[:port]` as in image references: `127.0.0.1:5000`, `ghcr.io` (`host`, else the URL's). */
  readonly host: string;
  /** `http://host:port` or `https://host[:port]`: where Assay sends its registry requests. */
  readonly baseUrl: string;
  readonly insecure: boolean;
  /** PEM text of an extra CA bundle, read from `ca`. */
  readonly ca: string | undefined;
  readonly credentials: RegistryCredentialsSpec | undefined;
  readonly repositories: readonly string[] | undefined;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly pollIntervalSeconds: number;
  readonly trustNotifications: boolean;
  /** Host names (lower case) its notifications may carry in `request.host`, its own host first. */
  readonly notificationHosts: readonly string[];
  readonly concurrency: number;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const credentialsSchema = z
  .object({
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    dockerConfigFile: z.string().min(1).optional(),
  })
  .strict();

const registrySchema = z
  .object({
    name: z.string().regex(NAME_RE, { error: 'is not a registry name (lower-case letters, digits, ".", "_", "-")' }),
    url: z.string().min(1),
    host: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
    ca: z.string().min(1).optional(),
    credentials: credentialsSchema.optional(),
    repositories: z.array(z.string().min(1)).optional(),
    include: z.array(z.string().min(1)).default(['**']),
    exclude: z.array(z.string().min(1)).default([]),
    pollIntervalSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(0),
    trustNotifications: z.boolean().default(false),
    notificationHosts: z.array(z.string().min(1)).default([]),
    concurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict();

/** A configuration problem inside the registry list, phrased for the one-line ConfigError. */
export class RegistryConfigError extends Error {}

function where(index: number, path: readonly PropertyKey[]): string {
  return `[${index}]${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function readFileFor(field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
    throw new RegistryConfigError(`${field} ${JSON.stringify(path)} cannot be read (${why})`);
  }
}

/** `http://h:p` / `https://h` / bare `h:p` → host and base URL. */
function parseUrl(field: string, raw: string, insecure: boolean): { host: string; baseUrl: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${insecure ? 'http' : 'https'}://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new RegistryConfigError(`${field} ${JSON.stringify(raw)} is not a registry URL (http://host:port, https://host or host:port)`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '' || (u.pathname !== '/' && u.pathname !== '')) {
    throw new RegistryConfigError(`${field} ${JSON.stringify(raw)} is not a registry URL (http://host:port, https://host or host:port)`);
  }
  if (u.protocol === 'http:' && !insecure) {
    throw new RegistryConfigError(`${field} ${JSON.stringify(raw)} is plain HTTP: set insecure: true to allow it`);
  }
  return { host: u.host.toLowerCase(), baseUrl: `${u.protocol}//${u.host}` };
}

/**
 * The `host` field: `host[:port]` exactly as image references write it (no scheme, path or
 * user info), lower-cased. Docker treats the first component of a reference as a registry only
 * when it has a `.` or `:` or is `localhost`, so any other name could never appear in one.
 */
function parseReferenceHost(field: string, raw: string): string {
  const h = raw.toLowerCase();
  const ok = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/.test(h);
  const port = /:(\d+)$/.exec(h)?.[1];
  if (!ok || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw new RegistryConfigError(
      `${field} ${JSON.stringify(raw)} is not a host[:port] as image references name it (e.g. localhost:30500, registry.example)`,
    );
  }
  if (!h.includes('.') && !h.includes(':') && h !== 'localhost') {
    throw new RegistryConfigError(
      `${field} ${JSON.stringify(raw)} cannot start an image reference (a registry host has a "." or ":" or is localhost)`,
    );
  }
  return h;
}

/** Reads `auths[host]` of a Docker config.json: `auth` (base64 user:password) or username/password. */
function dockerConfigCredentials(field: string, path: string, host: string): RegistryCredentialsSpec {
  let json: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    json = JSON.parse(readFileFor(field, path)) as typeof json;
  } catch (err) {
    if (err instanceof RegistryConfigError) throw err;
    throw new RegistryConfigError(`${field} ${JSON.stringify(path)} is not valid JSON`);
  }
  const auths = json.auths ?? {};
  const entry =
    auths[host] ??
    auths[`https://${host}`] ??
    auths[`http://${host}`] ??
    Object.entries(auths).find(([k]) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === host)?.[1];
  if (!entry) throw new RegistryConfigError(`${field} ${JSON.stringify(path)} has no auths entry for ${host}`);
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  throw new RegistryConfigError(`${field} ${JSON.stringify(path)}: the entry for ${host} has neither auth nor username/password`);
}

function resolveCredentials(
  field: string,
  c: z.output<typeof credentialsSchema> | undefined,
  host: string,
): RegistryCredentialsSpec | undefined {
  if (!c) return undefined;
  if (c.dockerConfigFile !== undefined) {
    if (c.username !== undefined || c.password !== undefined || c.passwordFile !== undefined) {
      throw new RegistryConfigError(`${field} takes either dockerConfigFile or username with password/passwordFile, not both`);
    }
    return dockerConfigCredentials(`${field}.dockerConfigFile`, c.dockerConfigFile, host);
  }
  if (c.username === undefined) throw new RegistryConfigError(`${field}.username is required (or dockerConfigFile)`);
  if ((c.password === undefined) === (c.passwordFile === undefined)) {
    throw new RegistryConfigError(`${field} needs exactly one of password and passwordFile`);
  }
  const password = c.password ?? readFileFor(`${field}.passwordFile`, c.passwordFile!).replace(/\r?\n$/, '');
  if (password === '') throw new RegistryConfigError(`${field}.passwordFile ${JSON.stringify(c.passwordFile)} is empty`);
  return { username: c.username, password };
}

/** Validates a parsed registry list; throws RegistryConfigError naming the first bad field. */
export function parseRegistries(data: unknown): RegistrySpec[] {
  if (!Array.isArray(data)) throw new RegistryConfigError('is not a list of registries ([{name, url, …}])');
  const out: RegistrySpec[] = [];
  data.forEach((item, i) => {
    const r = registrySchema.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const field = where(i, issue.path);
      // Never echo a value: credentials live in this list.
      const msg =
        issue.code === 'unrecognized_keys'
          ? `has unknown field(s) ${(issue as { keys: string[] }).keys.join(', ')}`
          : issue.code === 'invalid_type' && valueAt(item, issue.path) === undefined
            ? 'is required'
            : issue.message.startsWith('is ')
              ? issue.message
              : `is invalid (${issue.message})`;
      throw new RegistryConfigError(`${field} ${msg}`);
    }
    const v = r.data;
    const { host: urlHost, baseUrl } = parseUrl(where(i, ['url']), v.url, v.insecure);
    const host = v.host === undefined ? urlHost : parseReferenceHost(where(i, ['host']), v.host);
    out.push({
      name: v.name,
      host,
      baseUrl,
      insecure: v.insecure,
      ca: v.ca === undefined ? undefined : readFileFor(where(i, ['ca']), v.ca),
      credentials: resolveCredentials(where(i, ['credentials']), v.credentials, host),
      repositories: v.repositories,
      include: v.include,
      exclude: v.exclude,
      pollIntervalSeconds: v.pollIntervalSeconds,
      trustNotifications: v.trustNotifications,
      // Notifications name whichever host the pusher used: the reference host or the URL's.
      notificationHosts: [...new Set([host, urlHost, ...v.notificationHosts.map((h) => h.toLowerCase())])],
      concurrency: v.concurrency,
    });
  });
  const names = new Set<string>();
  out.forEach((r, i) => {
    if (names.has(r.name)) throw new RegistryConfigError(`[${i}].name ${JSON.stringify(r.name)} is used twice`);
    names.add(r.name);
  });
  return out;
}

/** A copy safe to log: no credentials, no CA text. */
export function describeRegistry(r: RegistrySpec): Record<string, unknown> {
  return {
    name: r.name,
    url: r.baseUrl,
    host: r.host,
    insecure: r.insecure,
    credentials: r.credentials ? { username: r.credentials.username } : undefined,
    repositories: r.repositories,
    include: r.include,
    exclude: r.exclude,
    pollIntervalSeconds: r.pollIntervalSeconds,
    trustNotifications: r.trustNotifications,
    concurrency: r.concurrency,
  };
}

/**
 * A configuration variable holding a registry list as JSON or YAML text (a list under the same
 * key in ASSAY_CONFIG_FILE arrives as JSON). It holds credentials: marked secret, so it is never
 * echoed in an error line or the start log. `expected` describes the form in error messages.
 */
export function registryListField(expected = 'a JSON/YAML list of registries ([{name, url, insecure, ca, credentials, …}])') {
  return annotate(
    z.string().transform((s, ctx): RegistrySpec[] => {
      let data: unknown;
      try {
        data = parseYaml(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON or YAML' });
        return z.NEVER;
      }
      try {
        return parseRegistries(data ?? []);
      } catch (err) {
        if (!(err instanceof RegistryConfigError)) throw err;
        ctx.addIssue({ code: 'custom', message: `is not a valid registry list: ${err.message}` });
        return z.NEVER;
      }
    }),
    { expected, secret: true },
  );
}
