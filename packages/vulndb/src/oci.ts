// The database as an OCI artifact: one layer (the SQLite file, gzipped by default), an empty
// config, `artifactType` and annotations carrying the database version and the sha256 of the
// uncompressed file. Pushing uses the Distribution HTTP API directly (@assay/registry-client
// only pulls); fetching goes through RegistryClient, which verifies blob digests as they stream.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, createGunzip } from 'node:zlib';
import { byteLimit, DEFAULT_MAX_DATABASE_BYTES } from './byte-limit.ts';
import { isLoopbackHost, parseWwwAuthenticate, RegistryClient, type RegistryCredentials } from '@assay/registry-client';
import { compareDbVersions } from './db-version.ts';
import { commitDatabaseFile, tempPathIn, verifyDatabaseFile } from './install.ts';

export const VULNDB_ARTIFACT_TYPE = 'application/vnd.assay.vulndb.v1';
export const VULNDB_LAYER_MEDIA_TYPE = 'application/vnd.assay.vulndb.layer.v1+sqlite';
export const VULNDB_LAYER_MEDIA_TYPE_GZIP = 'application/vnd.assay.vulndb.layer.v1+sqlite+gzip';
export const ANNOTATION_VERSION = 'io.assay.vulndb.version';
export const ANNOTATION_SHA256 = 'io.assay.vulndb.sha256';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');

export interface RegistryTarget {
  /** `host[:port]`; plain HTTP for loopback hosts unless `insecure` says otherwise. */
  registry: string;
  repository: string;
  tag: string;
  insecure?: boolean;
  credentials?: RegistryCredentials;
}

export interface PublishOptions extends RegistryTarget {
  /** Gzip the layer (default true). */
  gzip?: boolean;
  fetch?: typeof fetch;
}

export interface PublishResult {
  digest: string;
  version: string;
  layerDigest: string;
  layerSize: number;
}

function baseUrl(t: { registry: string; insecure?: boolean }): string {
  if (/^https?:\/\//.test(t.registry)) return t.registry.replace(/\/+$/, '');
  const host = t.registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return `${(t.insecure ?? isLoopbackHost(host)) ? 'http' : 'https'}://${t.registry}`;
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fetch that answers Basic and Bearer challenges (token fetched once, for push+pull). */
function authedFetch(opts: PublishOptions): (url: string, init?: RequestInit) => Promise<Response> {
  const f = opts.fetch ?? fetch;
  const basic = opts.credentials
    ? `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64')}`
    : undefined;
  let authorization: string | undefined;
  return async (url, init = {}) => {
    const send = () =>
      f(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) } });
    let res = await send();
    if (res.status !== 401) return res;
    const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? undefined)[0];
    if (!challenge) return res;
    if (challenge.scheme === 'basic' && basic) authorization = basic;
    else if (challenge.scheme === 'bearer' && challenge.params.realm) {
      const u = new URL(challenge.params.realm);
      if (challenge.params.service) u.searchParams.set('service', challenge.params.service);
      u.searchParams.set('scope', `repository:${opts.repository}:pull,push`);
      const tr = await f(u, basic ? { headers: { authorization: basic } } : {});
      if (!tr.ok) throw new Error(`token request to ${u.origin} failed: HTTP ${tr.status}`);
      const body = (await tr.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new Error('token response without a token');
      authorization = `Bearer ${token}`;
    } else return res;
    await res.body?.cancel();
    // A streamed body cannot be replayed: pushBlob's HEAD comes first and settles auth.
    res = await send();
    return res;
  };
}

async function expectOk(res: Response, what: string, statuses: number[]): Promise<void> {
  if (!statuses.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
}

async function pushBlob(
  http: ReturnType<typeof authedFetch>,
  base: string,
  repo: string,
  digest: string,
  size: number,
  body: () => NonNullable<RequestInit['body']>,
): Promise<void> {
  const head = await http(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await http(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  await expectOk(start, `start upload to ${repo}`, [202]);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new Error(`upload to ${repo}: no Location`);
  const u = new URL(location, base);
  u.searchParams.set('digest', digest);
  const put = await http(u.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: body(),
    duplex: 'half',
  } as RequestInit);
  await expectOk(put, `upload ${digest} to ${repo}`, [201]);
  await put.body?.cancel();
}

/** Pushes the database file as an OCI artifact under `tag`. */
/** Passes bytes through, hashing them on the way: a digest in the same pass as the copy. */
function hashingTap(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

export async function publishDatabase(file: string, opts: PublishOptions): Promise<PublishResult> {
  const metadata = verifyDatabaseFile(file);
  const base = baseUrl(opts);
  const http = authedFetch(opts);
  const gzip = opts.gzip ?? true;
  // The uncompressed sha256 (annotation) and the layer (what the registry stores), in one pass.
  const rawHash = createHash('sha256');
  const tap = hashingTap(rawHash);
  const layerFile = `${file}.layer-${process.pid}`;
  const layerHash = createHash('sha256');
  const layerTap = hashingTap(layerHash);
  try {
    if (gzip) await pipeline(createReadStream(file), tap, createGzip({ level: 6 }), layerTap, createWriteStream(layerFile));
    else await pipeline(createReadStream(file), tap, layerTap, createWriteStream(layerFile));
    const layerDigest = `sha256:${layerHash.digest('hex')}`;
    const layerSize = (await stat(layerFile)).size;
    const rawSha = rawHash.digest('hex');
    await pushBlob(
      http,
      base,
      opts.repository,
      layerDigest,
      layerSize,
      () => Readable.toWeb(createReadStream(layerFile)) as unknown as NonNullable<RequestInit['body']>,
    );
    const configDigest = `sha256:${sha256Hex(EMPTY_CONFIG)}`;
    await pushBlob(http, base, opts.repository, configDigest, EMPTY_CONFIG.length, () => EMPTY_CONFIG);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: VULNDB_ARTIFACT_TYPE,
      config: { mediaType: OCI_EMPTY, digest: configDigest, size: EMPTY_CONFIG.length, data: 'e30=' },
      layers: [
        {
          mediaType: gzip ? VULNDB_LAYER_MEDIA_TYPE_GZIP : VULNDB_LAYER_MEDIA_TYPE,
          digest: layerDigest,
          size: layerSize,
          annotations: { 'org.opencontainers.image.title': 'vulndb.sqlite' },
        },
      ],
      annotations: {
        [ANNOTATION_VERSION]: metadata.version,
        [ANNOTATION_SHA256]: rawSha,
        'org.opencontainers.image.version': metadata.version,
        'org.opencontainers.image.created': metadata.builtAt,
      },
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const put = await http(`${base}/v2/${opts.repository}/manifests/${opts.tag}`, {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body: bytes,
    });
    await expectOk(put, `manifest ${opts.repository}:${opts.tag}`, [201]);
    await put.body?.cancel();
    return { digest: `sha256:${sha256Hex(bytes)}`, version: metadata.version, layerDigest, layerSize };
  } finally {
    await rm(layerFile, { force: true });
  }
}

export interface FetchOptions extends Partial<RegistryTarget> {
  repository: string;
  tag: string;
  /** A configured client (auth, TLS); otherwise one is made from registry/insecure/credentials. */
  client?: RegistryClient;
  dir: string;
  /** Skip the download unless the published version is newer than this. */
  currentVersion?: string;
  /** Largest layer accepted; default 4 GiB. */
  maxBytes?: number;
  /** Largest database once decompressed (a gzip layer); default DEFAULT_MAX_DATABASE_BYTES. */
  maxUnpackedBytes?: number;
}

export interface FetchResult {
  updated: boolean;
  version: string | undefined;
}

interface ArtifactManifest {
  artifactType?: string;
  config?: { mediaType?: string };
  layers?: { mediaType?: string; digest?: string; size?: number }[];
  annotations?: Record<string, string>;
}

/**
 * Installs the published database into `<dir>/vulndb.sqlite` when it is newer than
 * `currentVersion`. The layer's digest is verified while it streams (a mismatch throws and
 * leaves the current file alone), then the uncompressed sha256 and the schema.
 */
export async function fetchDatabase(opts: FetchOptions): Promise<FetchResult> {
  let client = opts.client;
  const own = !client;
  if (!client) {
    if (!opts.registry) throw new Error('fetchDatabase: registry or client is required');
    const host = opts.registry.replace(/:\d+$/, '');
    client = new RegistryClient({
      registry: opts.registry,
      insecure: opts.insecure ?? isLoopbackHost(host),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    });
  }
  try {
    const m = await client.getManifest(opts.repository, opts.tag);
    const json = m.json as ArtifactManifest;
    if (json.artifactType !== VULNDB_ARTIFACT_TYPE && json.config?.mediaType !== VULNDB_ARTIFACT_TYPE) {
      throw new Error(`${opts.repository}:${opts.tag} is not a vulnerability database (artifactType ${json.artifactType ?? 'none'})`);
    }
    const version = json.annotations?.[ANNOTATION_VERSION];
    if (!version) throw new Error(`${opts.repository}:${opts.tag} has no ${ANNOTATION_VERSION} annotation`);
    if (opts.currentVersion !== undefined && compareDbVersions(version, opts.currentVersion) <= 0) {
      return { updated: false, version: opts.currentVersion };
    }
    const layer = json.layers?.find((l) => l.mediaType === VULNDB_LAYER_MEDIA_TYPE || l.mediaType === VULNDB_LAYER_MEDIA_TYPE_GZIP);
    if (!layer?.digest) throw new Error(`${opts.repository}:${opts.tag} has no database layer`);
    const tmp = await tempPathIn(opts.dir);
    const raw = createHash('sha256');
    const tap = hashingTap(raw);
    try {
      const blob = await client.blob(opts.repository, layer.digest, {
        maxBytes: opts.maxBytes ?? 4 * 1024 ** 3,
        ...(typeof layer.size === 'number' ? { expectedSize: layer.size } : {}),
      });
      if (layer.mediaType === VULNDB_LAYER_MEDIA_TYPE_GZIP) {
        await pipeline(
          blob,
          createGunzip(),
          byteLimit(opts.maxUnpackedBytes ?? DEFAULT_MAX_DATABASE_BYTES, `${opts.repository}@${layer.digest}`),
          tap,
          createWriteStream(tmp),
        );
      } else await pipeline(blob, tap, createWriteStream(tmp));
      const sha = json.annotations?.[ANNOTATION_SHA256];
      const got = raw.digest('hex');
      if (sha && sha !== got) throw new Error(`database sha256 ${got} does not match the annotation ${sha}`);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await commitDatabaseFile(tmp, opts.dir, version);
    return { updated: true, version };
  } finally {
    if (own) await client.close();
  }
}
