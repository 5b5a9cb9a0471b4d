// A real Debian root filesystem (mmdebstrap, ~20 s and ~170 MB) built once and kept in a
// persistent cache shared by every test process, and OCI images made from it. Test files run in
// parallel processes, so each cache entry is produced under a lock file by one process, written
// to a temporary name and renamed into place: readers never see a partial file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import {
  type BuildImageOptions,
  type BuiltImage,
  type BuiltLayer,
  buildImage,
  hostPlatform,
  layerMediaType,
  type LayerSpec,
} from './oci-image.ts';
import { startProcess } from './processes.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = 'bookworm';
const DEFAULT_INCLUDE = ['ca-certificates'];

/** `$ASSAY_TEST_CACHE`, or `.assay/cache/` in the repository (git-ignored). */
export function testCacheDir(): string {
  return process.env.ASSAY_TEST_CACHE || join(REPO_ROOT, '.assay', 'cache');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding `lockPath` (created with O_EXCL, holding our pid). A lock whose owner has
 * died, or that stayed empty for a minute, is taken over.
 */
async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if ((owner > 0 && !pidAlive(owner)) || (!owner && age > 60_000)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath} (held by pid ${owner || '?'})`);
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/**
 * The cache file `name`, produced by `produce(tmpPath)` if absent. `tmpPath` ends with `name`
 * (so tools that look at the extension see the right one) and is renamed into place.
 */
export async function cachedFile(name: string, produce: (tmpPath: string) => Promise<void>): Promise<string> {
  const dir = testCacheDir();
  const target = join(dir, name);
  if (await exists(target)) return target;
  await mkdir(dir, { recursive: true });
  return withLock(`${target}.lock`, async () => {
    if (await exists(target)) return target;
    const tmp = join(dir, `.tmp-${process.pid}-${Date.now()}-${name}`);
    try {
      await produce(tmp);
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true, recursive: true });
    }
    return target;
  });
}

export interface DebianRootfsOptions {
  /** Packages beyond minbase; `ca-certificates` by default. */
  include?: string[];
}

function cacheKey(include: string[]): string {
  const list = [...new Set(include)].sort();
  const hash = createHash('sha256')
    .update(`${SUITE}\n${list.join(',')}`)
    .digest('hex')
    .slice(0, 12);
  return `debian-${SUITE}-minbase-${hash}`;
}

function includeList(opts: DebianRootfsOptions): string[] {
  return [...new Set(opts.include ?? DEFAULT_INCLUDE)].sort();
}

/** Path of a cached `mmdebstrap --variant=minbase` tarball of Debian bookworm. */
export async function debianRootfsTar(opts: DebianRootfsOptions = {}): Promise<string> {
  const include = includeList(opts);
  return cachedFile(`${cacheKey(include)}.tar`, async (tmp) => {
    const args = ['--variant=minbase', '--mode=root', ...(include.length ? [`--include=${include.join(',')}`] : []), SUITE, tmp];
    const proc = startProcess('mmdebstrap', args);
    const code = await proc.exited;
    if (code !== 0) throw new Error(`mmdebstrap ${args.join(' ')} exited with ${code}\n${proc.output()}`);
  });
}

function hashing(hash: ReturnType<typeof createHash>, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

interface LayerMeta {
  digest: string;
  diffId: string;
  size: number;
}

/**
 * The rootfs as a gzip layer blob, kept in a file next to the tarball (streamed: tar → hash for
 * the diff_id → gzip → hash for the digest → file), with its digests in a sidecar JSON written
 * before the layer is renamed into place.
 */
export async function debianBaseLayer(opts: DebianRootfsOptions = {}): Promise<BuiltLayer> {
  const include = includeList(opts);
  const tar = await debianRootfsTar(opts);
  const key = cacheKey(include);
  const metaPath = join(testCacheDir(), `${key}.layer.json`);
  const file = await cachedFile(`${key}.layer.tar.gz`, async (tmp) => {
    const diffHash = createHash('sha256');
    const blobHash = createHash('sha256');
    const raw = { bytes: 0 };
    const gz = { bytes: 0 };
    await pipeline(createReadStream(tar), hashing(diffHash, raw), createGzip(), hashing(blobHash, gz), createWriteStream(tmp));
    const meta: LayerMeta = { digest: `sha256:${blobHash.digest('hex')}`, diffId: `sha256:${diffHash.digest('hex')}`, size: gz.bytes };
    await writeFile(`${metaPath}.tmp-${process.pid}`, JSON.stringify(meta));
    await rename(`${metaPath}.tmp-${process.pid}`, metaPath);
  });
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as LayerMeta;
  return {
    mediaType: layerMediaType('oci', 'gzip'),
    digest: meta.digest,
    actualDigest: meta.digest,
    diffId: meta.diffId,
    size: meta.size,
    file,
    compression: 'gzip',
  };
}

export interface DebianImageOptions extends DebianRootfsOptions, Omit<BuildImageOptions, 'layers'> {
  /** Layers on top of the Debian one. */
  layers?: LayerSpec[];
}

/** An OCI image whose first layer is the cached Debian rootfs (file-backed, never held in memory). */
export async function debianImage(opts: DebianImageOptions = {}): Promise<BuiltImage> {
  const base = await debianBaseLayer(opts);
  const { include: _include, layers = [], ...build } = opts;
  if (build.mediaTypes === 'docker') base.mediaType = layerMediaType('docker', 'gzip');
  return buildImage({
    platform: hostPlatform(),
    ...build,
    // Debian's own image defaults, under whatever the caller sets.
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'], ...build.config },
    layers: [{ built: base }, ...layers],
  });
}
