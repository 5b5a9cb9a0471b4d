// Where `assay scan` reads an image from: a registry (the scanner's own RegistryClient), an OCI
// image layout directory, or a `docker save` archive. scanImage only calls getManifest, blob and
// blobBuffer, so the local sources implement just those, with the same digest checks.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { InvalidReferenceError, parseReference } from '@assay/image-ref';
import { isLoopbackHost, RegistryClient, type BlobOptions, type FetchedManifest } from '@assay/registry-client';
import type { BlobSource } from '@assay/scan-engine';
import { CliError } from './io.ts';

export interface ResolvedImage {
  source: BlobSource;
  registry: string;
  repository: string;
  /** Tag or digest to resolve; the manifest (or index) digest after resolve. */
  reference: string;
  tag?: string | undefined;
  kind: 'registry' | 'oci-layout' | 'docker-archive';
  /** The registry's client (kind 'registry'): signatures and referrers are looked for there. */
  client?: RegistryClient;
  close(): Promise<void>;
}

const MANIFEST_MAX = 4 * 1024 * 1024;
const DIGEST = /^(sha256|sha512):([a-f0-9]{64,128})$/;

function sha(data: Buffer | string, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** A stream that fails at the end when the bytes do not hash to `digest` (or their size differs). */
function verifying(digest: string, expectedSize: number | undefined): Transform {
  const m = DIGEST.exec(digest);
  const h = createHash(m?.[1] ?? 'sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const got = `${m?.[1] ?? 'sha256'}:${h.digest('hex')}`;
      if (got !== digest) return cb(new Error(`blob ${digest}: content has digest ${got}`));
      if (expectedSize !== undefined && size !== expectedSize)
        return cb(new Error(`blob ${digest}: ${size} bytes, manifest says ${expectedSize}`));
      cb();
    },
  });
}

function mediaTypeOf(json: unknown): string {
  const j = json as { mediaType?: unknown; manifests?: unknown; layers?: unknown };
  if (typeof j.mediaType === 'string') return j.mediaType;
  return Array.isArray(j.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
}

/** Blobs of an OCI image layout (`blobs/<algorithm>/<hex>`), every read verified against its digest. */
export class OciLayoutSource implements BlobSource {
  readonly dir: string;
  /** Manifests not stored as blobs (a docker save archive's synthesised one), by digest. */
  readonly extra = new Map<string, Buffer>();
  constructor(dir: string) {
    this.dir = dir;
  }

  #path(digest: string): string {
    const m = DIGEST.exec(digest);
    if (!m) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
    return join(this.dir, 'blobs', m[1]!, m[2]!);
  }

  async getManifest(_repository: string, reference: string): Promise<FetchedManifest> {
    const bytes =
      this.extra.get(reference) ??
      (await readFile(this.#path(reference)).catch(() => {
        throw new Error(`manifest ${reference} is not in ${this.dir}`);
      }));
    if (bytes.length > MANIFEST_MAX) throw new Error(`manifest ${reference} is larger than ${MANIFEST_MAX} bytes`);
    const digest = sha(bytes, DIGEST.exec(reference)?.[1]);
    if (digest !== reference) throw new Error(`manifest ${reference}: content has digest ${digest}`);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new Error(`manifest ${reference} is not JSON`);
    }
    return { digest, mediaType: mediaTypeOf(json), size: bytes.length, bytes, json };
  }

  async blob(_repository: string, digest: string, opts: BlobOptions = {}): Promise<Readable> {
    const path = this.#path(digest);
    if (!existsSync(path)) throw new Error(`blob ${digest} is not in ${this.dir}`);
    const size = statSync(path).size;
    if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new Error(`blob ${digest}: ${size} bytes, limit ${opts.maxBytes}`);
    const out = verifying(digest, opts.expectedSize);
    void pipeline(createReadStream(path), out).catch(() => {});
    return out;
  }

  async blobBuffer(repository: string, digest: string, opts: BlobOptions & { maxBytes: number }): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.blob(repository, digest, opts)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

interface LayoutIndex {
  manifests?: { digest: string; mediaType?: string; annotations?: Record<string, string> }[];
}

/** The manifest of a layout's index.json named `tag` (`org.opencontainers.image.ref.name`), or its only one. */
async function pickFromLayout(dir: string, tag: string | undefined): Promise<{ digest: string; tag?: string | undefined }> {
  let index: LayoutIndex;
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as LayoutIndex;
  } catch (err) {
    throw new CliError(`${dir}: not an OCI image layout (index.json: ${(err as Error).message})`);
  }
  const all = index.manifests ?? [];
  const name = (m: (typeof all)[number]) => m.annotations?.['org.opencontainers.image.ref.name'];
  if (tag !== undefined) {
    const m = all.find((x) => name(x) === tag);
    if (!m)
      throw new CliError(
        `${dir}: no image named ${JSON.stringify(tag)} (has: ${all.map(name).filter(Boolean).join(', ') || 'none named'})`,
      );
    return { digest: m.digest, tag };
  }
  if (all.length !== 1)
    throw new CliError(`${dir}: holds ${all.length} images; name one as ${dir}:<tag> (has: ${all.map(name).filter(Boolean).join(', ')})`);
  return { digest: all[0]!.digest, tag: name(all[0]!) };
}

/** A name the report can carry for a local image: the directory's base name, made repository-shaped. */
function localRepository(path: string): string {
  const n = basename(resolve(path))
    .toLowerCase()
    .replace(/\.(tar|tgz|tar\.gz)$/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `local/${n || 'image'}`;
}

/** Unpacks a tar archive (a `docker save` output) into a temporary directory, streaming each file to disk. */
async function unpack(file: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'assay-archive-'));
  const x = extract();
  const done = (async () => {
    for await (const entry of x) {
      const name = entry.header.name.replace(/^\.\//, '');
      // Only plain relative paths: an archive cannot write outside the temporary directory.
      if (entry.header.type !== 'file' || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '')) {
        entry.resume();
        continue;
      }
      const target = join(dir, name);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target));
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(file), x), done]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new CliError(`${file}: not a readable tar archive (${(err as Error).message})`);
  }
  return dir;
}

/** Moves a file into `blobs/sha256/<hex>` of `dir`; its digest and size. */
async function intoBlobs(dir: string, path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(join(dir, path))) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  const digest = `sha256:${h.digest('hex')}`;
  await rename(join(dir, path), join(dir, 'blobs', 'sha256', digest.slice(7)));
  return { digest, size };
}

/**
 * A `docker save` archive: newer Dockers write an OCI layout inside it (used as is); older ones
 * a `manifest.json` naming the config and layer tars, from which a Docker schema 2 manifest is
 * synthesised over the same bytes (layer digests are then those of the uncompressed tars).
 */
async function dockerArchive(file: string, tag: string | undefined): Promise<ResolvedImage> {
  const dir = await unpack(file);
  const close = () => rm(dir, { recursive: true, force: true });
  try {
    const source = new OciLayoutSource(dir);
    if (existsSync(join(dir, 'index.json')) && existsSync(join(dir, 'blobs'))) {
      const pick = await pickFromLayout(dir, tag).catch(() => undefined);
      if (pick)
        return {
          source,
          registry: 'docker-archive',
          repository: localRepository(file),
          reference: pick.digest,
          tag: pick.tag,
          kind: 'docker-archive',
          close,
        };
    }
    let entries: { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
    try {
      entries = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as typeof entries;
    } catch {
      throw new CliError(`${file}: not a docker save archive (no manifest.json or OCI layout)`);
    }
    const entry = tag === undefined ? entries[0] : entries.find((e) => (e.RepoTags ?? []).some((t) => t === tag || t.endsWith(`:${tag}`)));
    if (!entry || (tag === undefined && entries.length !== 1))
      throw new CliError(`${file}: name one image as ${file}:<tag> (has: ${entries.flatMap((e) => e.RepoTags ?? []).join(', ')})`);
    // Each file is moved into blobs/sha256 under its digest, so the layout source serves it.
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const inArchive = (p: string) => {
      if (p.startsWith('/') || p.split('/').includes('..') || !existsSync(join(dir, p)))
        throw new CliError(`${file}: manifest.json names ${JSON.stringify(p)}, which the archive does not hold`);
      return p;
    };
    const config = await intoBlobs(dir, inArchive(entry.Config));
    const layers = [];
    // A layer listed twice (the same tar) is moved once.
    const seen = new Map<string, { digest: string; size: number }>();
    for (const l of entry.Layers) {
      const blob = seen.get(l) ?? (await intoBlobs(dir, inArchive(l)));
      seen.set(l, blob);
      layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', ...blob });
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
        layers,
      }),
    );
    const digest = sha(manifest);
    source.extra.set(digest, manifest);
    const repoTag = entry.RepoTags?.[0];
    return {
      source,
      registry: 'docker-archive',
      repository: localRepository(file),
      reference: digest,
      tag: repoTag?.slice(repoTag.lastIndexOf(':') + 1),
      kind: 'docker-archive',
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A directory `assay scan` reads as a filesystem (a project checkout, like \`trivy fs\`): one that
 * exists and is no OCI image layout (no oci-layout file). `dir:tag` stays a reference.
 */
export function filesystemDirectory(arg: string): string | undefined {
  if (!existsSync(arg) || !statSync(arg).isDirectory() || existsSync(join(arg, 'oci-layout'))) return undefined;
  return arg;
}

/** `path` or `path:tag` (the part after the last colon names an image inside it). */
function splitLocal(arg: string): { path: string; tag?: string } | undefined {
  if (existsSync(arg)) return { path: arg };
  const i = arg.lastIndexOf(':');
  if (i > 0 && existsSync(arg.slice(0, i))) return { path: arg.slice(0, i), tag: arg.slice(i + 1) };
  return undefined;
}

export interface OpenImageOptions {
  /** Plain HTTP to the registry (loopback registries always are). */
  insecure?: boolean;
  timeoutMs?: number;
  credentials?: { username: string; password: string } | undefined;
}

/**
 * What `assay scan <image>` names: an existing directory (OCI layout) or file (docker save
 * archive), optionally `:tag`, with `oci:` / `docker-archive:` prefixes accepted; otherwise an
 * image reference in a registry.
 */
export async function openImage(arg: string, opts: OpenImageOptions = {}): Promise<ResolvedImage> {
  const prefixed = /^(oci|oci-dir|docker-archive):(.+)$/.exec(arg);
  const local = splitLocal(prefixed ? prefixed[2]! : arg);
  if (prefixed && !local) throw new CliError(`${prefixed[2]}: no such file or directory`);
  // A directory that is no OCI layout is taken for a reference (`app:v1` beside a directory `app`), unless `oci:` insists.
  const notLayout = local !== undefined && statSync(local.path).isDirectory() && !existsSync(join(local.path, 'oci-layout'));
  if (notLayout && prefixed) throw new CliError(`${local!.path}: a directory without an oci-layout file is not an OCI image layout`);
  if (local && !notLayout) {
    if (statSync(local.path).isDirectory()) {
      const pick = await pickFromLayout(local.path, local.tag);
      return {
        source: new OciLayoutSource(local.path),
        registry: 'oci-layout',
        repository: localRepository(local.path),
        reference: pick.digest,
        tag: pick.tag,
        kind: 'oci-layout',
        close: async () => {},
      };
    }
    return dockerArchive(local.path, local.tag);
  }
  let ref;
  try {
    ref = parseReference(arg);
  } catch (err) {
    if (err instanceof InvalidReferenceError)
      throw new CliError(`${JSON.stringify(arg)} is neither an image reference nor an existing file or directory (${err.message})`);
    throw err;
  }
  const host = ref.registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const client = new RegistryClient({
    registry: ref.registry,
    insecure: opts.insecure ?? isLoopbackHost(host),
    timeoutMs: opts.timeoutMs ?? 30_000,
    retries: 1,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  return {
    source: client,
    registry: ref.registry,
    repository: ref.repository,
    reference: ref.digest ?? ref.tag ?? 'latest',
    tag: ref.tag,
    kind: 'registry',
    client,
    close: () => client.close(),
  };
}
