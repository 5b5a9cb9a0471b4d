// Where the Kubernetes API server is and how to authenticate to it: explicit settings (URL,
// token file, CA file) or, in a cluster, KUBERNETES_SERVICE_HOST/PORT and the mounted service
// account. The token is named by file and re-read at each request, because the kubelet rotates
// projected service-account tokens in place; a literal token is accepted for tests and tools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the Kubernetes API is and how to authenticate to it. */
export interface KubeConnection {
  /** `https://host:port` of the API server (no trailing path). */
  url: string;
  /** Bearer token file, re-read at every connection (projected service-account tokens rotate). */
  tokenFile?: string | undefined;
  /** A literal bearer token (tests, tools); `tokenFile` wins when both are set. */
  token?: string | undefined;
  /** CA bundle (PEM) the API server certificate must chain to; the system CAs otherwise. */
  ca?: string | Buffer | undefined;
}

/** The in-cluster service-account mount. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection from explicit settings, or in cluster from KUBERNETES_SERVICE_HOST/PORT and the
 * mounted service-account token and CA. Throws when neither is there.
 */
export function kubeConnection(
  settings: { url?: string | undefined; tokenFile?: string | undefined; caFile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): KubeConnection {
  const ca = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
  if (settings.url !== undefined) {
    return { url: settings.url.replace(/\/+$/, ''), tokenFile: settings.tokenFile, ca: ca(settings.caFile) };
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error('Kubernetes API: no API URL configured and not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)');
  }
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tokenFile: settings.tokenFile ?? join(serviceAccountDir, 'token'),
    ca: ca(settings.caFile ?? join(serviceAccountDir, 'ca.crt')),
  };
}

/** The bearer token to send now (the file is read at each call: it rotates). */
export function bearerToken(conn: KubeConnection): string | undefined {
  if (conn.tokenFile !== undefined) return readFileSync(conn.tokenFile, 'utf8').trim() || undefined;
  return conn.token?.trim() || undefined;
}
