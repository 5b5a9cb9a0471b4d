// Registry credentials from Docker's config.json and from Kubernetes image pull secrets
// (`kubernetes.io/dockerconfigjson` with `.dockerconfigjson`, legacy `kubernetes.io/dockercfg`
// with `.dockercfg`). Credential helpers (`credsStore`, `credHelpers`) run programs, which a
// service in a cluster must not do, so they are not consulted.

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json), exchanged at the token endpoint. */
  identityToken?: string;
  /** A ready bearer token (`registrytoken` in config.json), sent as is. */
  registryToken?: string;
}

/** Looked up each time credentials are needed, so rotated secrets are picked up. */
export type CredentialProvider = (registry: string) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry host a config key names: `https://index.docker.io/v1/` → `docker.io`,
 * `http://127.0.0.1:5000/v2/` → `127.0.0.1:5000`, `ghcr.io` → `ghcr.io`.
 */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

function decodeEntry(entry: DockerAuthEntry, where: string): RegistryCredentials {
  const creds: RegistryCredentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new Error(`docker config: "auth" for ${where} is not base64 of "username:password"`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  }
  if (entry.username !== undefined && creds.username === undefined) creds.username = entry.username;
  if (entry.password !== undefined && creds.password === undefined) creds.password = entry.password;
  if (entry.identitytoken) creds.identityToken = entry.identitytoken;
  if (entry.registrytoken) creds.registryToken = entry.registrytoken;
  return creds;
}

function authsOf(config: unknown): Record<string, DockerAuthEntry> {
  if (typeof config !== 'object' || config === null) throw new Error('docker config: not a JSON object');
  const c = config as { auths?: unknown };
  // config.json has `{"auths": {...}}`; the legacy .dockercfg is the map itself.
  const auths = c.auths !== undefined ? c.auths : config;
  if (typeof auths !== 'object' || auths === null) throw new Error('docker config: "auths" is not an object');
  return auths as Record<string, DockerAuthEntry>;
}

/** Credentials for `registry` (host[:port]) in a Docker config (JSON text or parsed), or undefined. */
export function credentialsFromDockerConfig(json: string | object, registry: string): RegistryCredentials | undefined {
  const config: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  const auths = authsOf(config);
  const want = normaliseRegistryKey(registry);
  // An exact key wins over a normalised match (`https://host/v1/` and `host` may both be present).
  const exact = auths[registry];
  if (exact && typeof exact === 'object') return decodeEntry(exact, registry);
  for (const [key, entry] of Object.entries(auths)) {
    if (typeof entry !== 'object' || entry === null) continue;
    if (normaliseRegistryKey(key) === want) return decodeEntry(entry, key);
  }
  return undefined;
}

/** A provider over a Docker config: the registry is chosen when the client asks. */
export function dockerConfigCredentialProvider(json: string | object): CredentialProvider {
  const config: object = typeof json === 'string' ? (JSON.parse(json) as object) : json;
  return (registry) => credentialsFromDockerConfig(config, registry);
}

/** The parts of a Kubernetes Secret object an image pull secret uses. */
export interface DockerConfigSecret {
  type?: string;
  metadata?: { name?: string; namespace?: string };
  /** base64-encoded values, as the API returns them. */
  data?: Record<string, string>;
  /** Plain values, as manifests may write them. */
  stringData?: Record<string, string>;
}

/** The Docker config held by an image pull secret, parsed. */
export function dockerConfigFromSecret(secret: DockerConfigSecret): object {
  const name = secret.metadata?.name
    ? `secret ${secret.metadata.namespace ? `${secret.metadata.namespace}/` : ''}${secret.metadata.name}`
    : 'secret';
  for (const key of ['.dockerconfigjson', '.dockercfg']) {
    const plain = secret.stringData?.[key];
    const encoded = secret.data?.[key];
    const text = plain ?? (encoded !== undefined ? Buffer.from(encoded, 'base64').toString('utf8') : undefined);
    if (text === undefined) continue;
    try {
      return JSON.parse(text) as object;
    } catch (err) {
      throw new Error(`${name}: ${key} is not valid JSON`, { cause: err });
    }
  }
  throw new Error(`${name}: no .dockerconfigjson or .dockercfg data (type ${secret.type ?? 'unset'})`);
}

/** A provider over a `kubernetes.io/dockerconfigjson` (or legacy `dockercfg`) Secret. */
export function credentialsFromDockerConfigSecret(secret: DockerConfigSecret): CredentialProvider {
  return dockerConfigCredentialProvider(dockerConfigFromSecret(secret));
}
