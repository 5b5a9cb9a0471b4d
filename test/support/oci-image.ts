// OCI images built directly as blobs and manifests (tar-stream + zlib + sha256), with no Docker
// engine: small deterministic images for tests, hostile layers that no real build tool would
// make, OCI image layouts on disk, and pushes over the Distribution HTTP API (or via skopeo).
// Fixed timestamps make the same spec always give the same digests, so tests can rely on shared
// layers being shared.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, copyFile, link, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { constants as zlibConstants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { startProcess } from './processes.ts';
import { makeTempDir } from './tempdir.ts';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Accept header naming every manifest type: Distribution answers 404 for an OCI manifest asked for with Docker types only. */
export const MANIFEST_ACCEPT = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList].join(
  ', ',
);

export type Compression = 'gzip' | 'zstd' | 'none';
export type MediaTypeFamily = 'oci' | 'docker';

/** One tar entry, written exactly as given: no parent directories are added, no path is cleaned. */
export interface LayerEntry {
  path: string;
  content?: string | Buffer;
  mode?: number;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block';
  /** Target of a symlink or hardlink. */
  linkname?: string;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: Date;
  /** PAX extended header records (e.g. `SCHILY.xattr.security.capability`). */
  pax?: Record<string, string>;
}

/** What the manifest and config say, when it should differ from the truth (hostile layers). */
export interface LayerClaims {
  /** Media type in the manifest; derived from the compression and the family otherwise. */
  mediaType?: string;
  /** Digest the manifest states instead of the real sha256 of the bytes. */
  statedDigest?: string;
  /** diff_id the config states instead of the real sha256 of the uncompressed tar. */
  statedDiffId?: string;
}

export type LayerSpec =
  | LayerEntry[]
  | ({ entries: LayerEntry[]; compression?: Compression } & LayerClaims)
  /** Hand-made tar bytes (or any bytes), compressed as asked. */
  | ({ tar: Buffer; compression?: Compression } & LayerClaims)
  /** Bytes used as the blob exactly; `diffId` defaults to the hash of their decompression when that works. */
  | ({ raw: Buffer; compression: Compression; diffId?: string } & LayerClaims)
  /** A layer built earlier (e.g. a cached, file-backed Debian root filesystem). */
  | { built: BuiltLayer };

/** Content-addressed bytes, in memory or (large layers) in a file. */
export interface Blob {
  mediaType: string;
  /** The digest manifests state for this blob. */
  digest: string;
  size: number;
  data?: Buffer;
  file?: string;
}

export interface BuiltLayer extends Blob {
  /** The diff_id the config states. */
  diffId: string;
  /** sha256 of the actual bytes: differs from `digest` only for a digest-mismatch layer. */
  actualDigest: string;
  compression: Compression;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

/** The `config` section of an image config file (Docker's capitalised field names). */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  Labels?: Record<string, string>;
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

export interface ImageConfigFile {
  created: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: { created: string; created_by: string; empty_layer?: boolean }[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface BuiltImage {
  kind: 'image';
  /** The manifest's media type, digest, size and exact bytes. */
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
  manifest: ImageManifest;
  config: ImageConfigFile;
  configBlob: Blob;
  layers: BuiltLayer[];
  platform: Platform;
}

export interface BuiltIndex {
  kind: 'index';
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
  index: ImageIndex;
  images: BuiltImage[];
}

export interface BuildImageOptions {
  layers: LayerSpec[];
  config?: ImageRuntimeConfig;
  platform?: Platform;
  /** Manifest annotations (OCI only). */
  annotations?: Record<string, string>;
  /** OCI media types by default; Docker schema 2 on request. */
  mediaTypes?: MediaTypeFamily;
  /** Compression of layers given as entries without their own; gzip by default. */
  compression?: Compression;
  created?: string;
}

const FIXED_TIME = '2024-01-01T00:00:00Z';
const FIXED_MTIME = new Date(FIXED_TIME);

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[
    process.arch
  ];
  return { architecture: arch ?? process.arch, os: 'linux' };
}

const TAR_TYPES = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  hardlink: 'link',
  fifo: 'fifo',
  char: 'character-device',
  block: 'block-device',
} as const;

/** An uncompressed tar of `entries`, in the given order. */
export async function tarBytes(entries: readonly LayerEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const drained = (async () => {
    for await (const chunk of p) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    const header = {
      name: e.path,
      type: TAR_TYPES[type],
      mode: e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      uname: e.uname ?? '',
      gname: e.gname ?? '',
      mtime: e.mtime ?? FIXED_MTIME,
      size: content?.length ?? 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.pax ? { pax: e.pax } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content) p.entry(header, content, done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  await drained;
  return Buffer.concat(chunks);
}

export function compress(data: Buffer, compression: Compression): Buffer {
  switch (compression) {
    case 'gzip':
      return gzipSync(data);
    case 'zstd':
      return zstdCompressSync(data);
    case 'none':
      return data;
  }
}

export function decompress(data: Buffer, compression: Compression): Buffer {
  switch (compression) {
    case 'gzip':
      return gunzipSync(data);
    case 'zstd':
      return zstdDecompressSync(data);
    case 'none':
      return data;
  }
}

export function layerMediaType(family: MediaTypeFamily, compression: Compression): string {
  if (family === 'oci') {
    return { gzip: MediaTypes.ociLayerGzip, zstd: MediaTypes.ociLayerZstd, none: MediaTypes.ociLayer }[compression];
  }
  if (compression === 'zstd') throw new Error('Docker schema 2 has no zstd layer media type; use OCI or give mediaType');
  return compression === 'gzip' ? MediaTypes.dockerLayerGzip : MediaTypes.dockerLayer;
}

/** Builds one layer blob; `family` picks the default media type. */
export async function buildLayer(
  spec: LayerSpec,
  family: MediaTypeFamily = 'oci',
  defaultCompression: Compression = 'gzip',
): Promise<BuiltLayer> {
  if (Array.isArray(spec)) return buildLayer({ entries: spec }, family, defaultCompression);
  if ('built' in spec) return spec.built;
  let data: Buffer;
  let diffId: string;
  let compression: Compression;
  if ('raw' in spec) {
    data = spec.raw;
    compression = spec.compression;
    diffId = spec.diffId ?? tryDiffId(data, compression) ?? sha256Digest(data);
  } else {
    const tar = 'tar' in spec ? spec.tar : await tarBytes(spec.entries);
    compression = spec.compression ?? defaultCompression;
    data = compress(tar, compression);
    diffId = sha256Digest(tar);
  }
  const actualDigest = sha256Digest(data);
  return {
    mediaType: spec.mediaType ?? layerMediaType(family, compression),
    digest: spec.statedDigest ?? actualDigest,
    size: data.length,
    data,
    diffId: spec.statedDiffId ?? diffId,
    actualDigest,
    compression,
  };
}

function tryDiffId(data: Buffer, compression: Compression): string | undefined {
  try {
    return sha256Digest(decompress(data, compression));
  } catch {
    return undefined;
  }
}

function jsonBlob(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export async function buildImage(opts: BuildImageOptions): Promise<BuiltImage> {
  const family = opts.mediaTypes ?? 'oci';
  const platform = opts.platform ?? hostPlatform();
  const created = opts.created ?? FIXED_TIME;
  const layers: BuiltLayer[] = [];
  for (const spec of opts.layers) layers.push(await buildLayer(spec, family, opts.compression ?? 'gzip'));
  const config: ImageConfigFile = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: opts.config ?? {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `assay test layer ${i}` })),
  };
  const configBytes = jsonBlob(config);
  const configBlob: Blob = {
    mediaType: family === 'oci' ? MediaTypes.ociConfig : MediaTypes.dockerConfig,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
    data: configBytes,
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: family === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(opts.annotations && family === 'oci' ? { annotations: opts.annotations } : {}),
  };
  const bytes = jsonBlob(manifest);
  return {
    kind: 'image',
    mediaType: manifest.mediaType,
    digest: sha256Digest(bytes),
    size: bytes.length,
    bytes,
    manifest,
    config,
    configBlob,
    layers,
    platform,
  };
}

/** A multi-platform index (OCI) or manifest list (Docker, when the images use Docker media types). */
export function buildIndex(
  images: BuiltImage[],
  opts: { annotations?: Record<string, string>; mediaTypes?: MediaTypeFamily } = {},
): BuiltIndex {
  const family = opts.mediaTypes ?? (images[0]?.mediaType === MediaTypes.dockerManifest ? 'docker' : 'oci');
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: family === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerManifestList,
    manifests: images.map((img) => ({ mediaType: img.mediaType, digest: img.digest, size: img.size, platform: img.platform })),
    ...(opts.annotations && family === 'oci' ? { annotations: opts.annotations } : {}),
  };
  const bytes = jsonBlob(index);
  return { kind: 'index', mediaType: index.mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes, index, images };
}

/** Every blob an image or index needs (config and layers), each once. */
export function imageBlobs(image: BuiltImage | BuiltIndex): Blob[] {
  const images = image.kind === 'index' ? image.images : [image];
  const seen = new Map<string, Blob>();
  for (const img of images) for (const b of [img.configBlob, ...img.layers]) if (!seen.has(b.digest)) seen.set(b.digest, b);
  return [...seen.values()];
}

export async function readBlob(blob: Blob): Promise<Buffer> {
  if (blob.data) return blob.data;
  if (blob.file) return readFile(blob.file);
  throw new Error(`blob ${blob.digest} has neither data nor file`);
}

function blobBody(blob: Blob): Buffer | (() => Readable) {
  if (blob.data) return blob.data;
  const file = blob.file;
  if (file) return () => createReadStream(file);
  throw new Error(`blob ${blob.digest} has neither data nor file`);
}

// ---- OCI image layout -------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes (or adds to) an OCI image layout at `dir`: `oci-layout`, `index.json` naming each image
 * by `org.opencontainers.image.ref.name`, and `blobs/sha256/*`. File-backed blobs are hard-linked
 * when possible, copied otherwise.
 */
export async function writeOciLayout(dir: string, images: { tag: string; image: BuiltImage | BuiltIndex }[]): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = async (digest: string, source: Buffer | string) => {
    const target = join(blobDir, digest.replace(/^sha256:/, ''));
    if (await exists(target)) return;
    if (Buffer.isBuffer(source)) return writeFile(target, source);
    await link(source, target).catch(() => copyFile(source, target));
  };
  const indexPath = join(dir, 'index.json');
  const index: ImageIndex = (await exists(indexPath))
    ? (JSON.parse(await readFile(indexPath, 'utf8')) as ImageIndex)
    : { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
  for (const { tag, image } of images) {
    for (const blob of imageBlobs(image)) await put(blob.digest, blob.data ?? blob.file ?? Buffer.alloc(0));
    if (image.kind === 'index') for (const img of image.images) await put(img.digest, img.bytes);
    await put(image.digest, image.bytes);
    const refName = 'org.opencontainers.image.ref.name';
    index.manifests = index.manifests.filter((m) => m.annotations?.[refName] !== tag);
    index.manifests.push({
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
      ...(image.kind === 'image' ? { platform: image.platform } : {}),
      annotations: { [refName]: tag },
    });
  }
  await writeFile(indexPath, JSON.stringify(index));
}

// ---- Distribution HTTP API --------------------------------------------------------------------

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Writes a blob into a registry's storage behind its back (a digest-mismatch layer cannot be uploaded honestly). */
export interface UncheckedBlobWriter {
  putBlobUnchecked(repo: string, digest: string, blob: Blob): Promise<void>;
}

export interface PushOptions {
  auth?: RegistryCredentials;
  /** Needed to push layers whose stated digest is not their real one. */
  unchecked?: UncheckedBlobWriter;
}

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request on a fresh connection (no keep-alive sockets left behind a stopped registry). */
export function httpRequest(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: Buffer | (() => Readable),
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      const stream = body();
      stream.on('error', (err) => req.destroy(err));
      stream.pipe(req);
    }
  });
}

function authHeader(auth: RegistryCredentials | undefined): Record<string, string> {
  return auth ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
}

function expectStatus(what: string, res: HttpResult, ...ok: number[]): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 500)}`);
}

async function pushBlob(base: string, repo: string, blob: Blob, opts: PushOptions): Promise<void> {
  const auth = authHeader(opts.auth);
  const head = await httpRequest('HEAD', `${base}/v2/${repo}/blobs/${blob.digest}`, auth);
  if (head.status === 200) return;
  const actual = blob.data ? sha256Digest(blob.data) : undefined;
  if (actual !== undefined && actual !== blob.digest) {
    if (!opts.unchecked) throw new Error(`blob ${blob.digest} holds ${actual}: pushing it needs PushOptions.unchecked`);
    return opts.unchecked.putBlobUnchecked(repo, blob.digest, blob);
  }
  const start = await httpRequest('POST', `${base}/v2/${repo}/blobs/uploads/`, auth);
  expectStatus(`start upload of ${blob.digest}`, start, 202);
  const location = new URL(String(start.headers.location), base);
  location.searchParams.set('digest', blob.digest);
  const put = await httpRequest(
    'PUT',
    location.toString(),
    { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
    blobBody(blob),
  );
  expectStatus(`upload of ${blob.digest}`, put, 201);
}

async function putManifest(
  base: string,
  repo: string,
  ref: string,
  m: { mediaType: string; bytes: Buffer; digest: string },
  opts: PushOptions,
): Promise<void> {
  const res = await httpRequest(
    'PUT',
    `${base}/v2/${repo}/manifests/${ref}`,
    { ...authHeader(opts.auth), 'Content-Type': m.mediaType, 'Content-Length': String(m.bytes.length) },
    m.bytes,
  );
  expectStatus(`manifest ${repo}:${ref}`, res, 201);
  const answered = res.headers['docker-content-digest'];
  if (answered !== undefined && answered !== m.digest) throw new Error(`registry computed ${String(answered)} for manifest ${m.digest}`);
}

/**
 * Pushes an image or a multi-platform index over the Distribution API (monolithic blob uploads,
 * skipping blobs already there; an index's platform manifests by digest first). `tag` undefined
 * pushes by digest only. Returns the manifest (or index) digest.
 */
export async function pushImage(
  registryHost: string,
  repo: string,
  tag: string | undefined,
  image: BuiltImage | BuiltIndex,
  opts: PushOptions = {},
): Promise<string> {
  const base = `http://${registryHost}`;
  for (const blob of imageBlobs(image)) await pushBlob(base, repo, blob, opts);
  if (image.kind === 'index') for (const img of image.images) await putManifest(base, repo, img.digest, img, opts);
  await putManifest(base, repo, tag ?? image.digest, image, opts);
  return image.digest;
}

export interface SkopeoCopyOptions {
  /** Destination manifest type; skopeo keeps the source's when absent. */
  format?: 'oci' | 'v2s2';
  /** Copy every platform of an index (default true; harmless for a single image). */
  all?: boolean;
  /** Refuse to change any digest (fails instead of converting). */
  preserveDigests?: boolean;
  creds?: RegistryCredentials;
}

/** `skopeo copy oci:DIR:TAG docker://HOST/REPO:TAG`; returns the digest skopeo pushed. */
export async function skopeoCopy(
  layoutDir: string,
  tag: string,
  registryHost: string,
  repo: string,
  destTag: string,
  opts: SkopeoCopyOptions = {},
): Promise<string> {
  const tmp = await makeTempDir('skopeo');
  try {
    const digestFile = join(tmp.path, 'digest');
    const args = ['copy', '--insecure-policy', '--dest-tls-verify=false', '--digestfile', digestFile];
    if (opts.all ?? true) args.push('--all');
    if (opts.format) args.push('--format', opts.format);
    if (opts.preserveDigests) args.push('--preserve-digests');
    if (opts.creds) args.push('--dest-creds', `${opts.creds.username}:${opts.creds.password}`);
    args.push(`oci:${layoutDir}:${tag}`, `docker://${registryHost}/${repo}:${destTag}`);
    const proc = startProcess('skopeo', args, { env: { ...process.env, HOME: tmp.path } });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`skopeo ${args.join(' ')} exited with ${code}\n${proc.output()}`);
    return (await readFile(digestFile, 'utf8')).trim();
  } finally {
    await tmp.remove();
  }
}

// ---- Hostile layers ---------------------------------------------------------------------------

const GIB = 1024 ** 3;

/** A ustar header for one regular file of `size` bytes (size < 8 GiB). */
function ustarFileHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const field = (offset: number, len: number, value: string) => h.write(value, offset, len, 'ascii');
  const octal = (offset: number, len: number, n: number) => field(offset, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, Math.floor(FIXED_MTIME.getTime() / 1000));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\x0000');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/**
 * Layers a scanner must survive without harm. Each says in its name what it is; the self-tests
 * check that each is what it claims.
 */
export const hostileLayers = {
  /** Entries climbing out of the extraction root with `..`. */
  pathTraversal(): LayerEntry[] {
    return [
      { path: '../../etc/passwd', content: 'root::0:0:owned:/root:/bin/sh\n' },
      { path: 'app/../../../escape.txt', content: 'escaped\n' },
    ];
  },
  /** Entries (and a hardlink target) with absolute paths. */
  absolutePaths(): LayerEntry[] {
    return [
      { path: '/etc/shadow', content: 'root:*:19000:0:99999:7:::\n', mode: 0o600 },
      { path: 'link-to-shadow', type: 'hardlink', linkname: '/etc/shadow' },
    ];
  },
  /** Symlinks that point at each other and at themselves. */
  symlinkLoop(): LayerEntry[] {
    return [
      { path: 'loop', type: 'dir' },
      { path: 'loop/a', type: 'symlink', linkname: 'b' },
      { path: 'loop/b', type: 'symlink', linkname: 'a' },
      { path: 'loop/self', type: 'symlink', linkname: 'self' },
    ];
  },
  /** A symlink to outside the root, then a file written through it. */
  symlinkEscape(): LayerEntry[] {
    return [
      { path: 'escape', type: 'symlink', linkname: '../../../../../../tmp' },
      { path: 'escape/assay-escaped.txt', content: 'written through a symlink\n' },
    ];
  },
  /**
   * A gzip layer of one file of zeros, `uncompressedBytes` long (1 GiB by default) in ~1/1000 of
   * that: concatenated gzip members (valid gzip; every reader must handle multi-member streams),
   * so building it costs one small compression and a hash, not a GiB of deflate.
   */
  gzipBomb(uncompressedBytes = GIB, name = 'zeros.bin'): LayerSpec {
    const chunk = 16 * 1024 * 1024;
    if (uncompressedBytes % 512 !== 0 || uncompressedBytes >= 8 * GIB) throw new Error('bomb size must be a multiple of 512 below 8 GiB');
    const zeros = Buffer.alloc(chunk);
    const zerosMember = gzipSync(zeros, { level: zlibConstants.Z_BEST_COMPRESSION });
    const header = ustarFileHeader(name, uncompressedBytes);
    const trailer = Buffer.alloc(1024);
    const members: Buffer[] = [gzipSync(header)];
    const hash = createHash('sha256').update(header);
    let left = uncompressedBytes;
    for (; left >= chunk; left -= chunk) {
      members.push(zerosMember);
      hash.update(zeros);
    }
    if (left > 0) {
      members.push(gzipSync(zeros.subarray(0, left)));
      hash.update(zeros.subarray(0, left));
    }
    members.push(gzipSync(trailer));
    hash.update(trailer);
    return { raw: Buffer.concat(members), compression: 'gzip', diffId: `sha256:${hash.digest('hex')}` };
  },
  /** A fine layer whose manifest digest is someone else's. */
  digestMismatch(entries: LayerEntry[] = [{ path: 'hello.txt', content: 'hello\n' }]): LayerSpec {
    return { entries, statedDigest: sha256Digest(randomBytes(32)) };
  },
  /** A fine layer whose config diff_id is wrong. */
  diffIdMismatch(entries: LayerEntry[] = [{ path: 'hello.txt', content: 'hello\n' }]): LayerSpec {
    return { entries, statedDiffId: sha256Digest(randomBytes(32)) };
  },
  /** A gzip stream cut off half-way. */
  truncatedGzip(): LayerSpec {
    const whole = gzipSync(Buffer.concat([ustarFileHeader('data.bin', 64 * 1024), randomBytes(64 * 1024), Buffer.alloc(1024)]));
    return { raw: whole.subarray(0, Math.floor(whole.length / 2)), compression: 'gzip', diffId: sha256Digest('truncated') };
  },
  /** Valid gzip around bytes that are not a tar archive. */
  notATar(): LayerSpec {
    return { tar: Buffer.from('this is not a tar archive\n'.repeat(100)), compression: 'gzip' };
  },
};
