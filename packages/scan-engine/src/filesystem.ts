// A directory scanned as one image layer: a project checkout (`assay scan ./dir`, Trivy's `fs`)
// or an unpacked root filesystem (`--rootfs`, Trivy's `rootfs`). The directory is written as a
// canonical tar stream (sorted paths, zeroed times and owners) and handed to the same walker and
// analyzers as a layer (walker.ts), so the analysis, the limits (LayerLimits) and the final view
// are the image scan's, not a copy of them. The tar's sha256 (the directory's diff_id as one
// layer) is the report's digest: it changes when any path, mode, link or byte changes.
//
// Safety: entries are read with lstat and files opened with O_NOFOLLOW, so a symlink is recorded
// as a symlink and never followed (it cannot lead out of the directory); FIFOs, sockets and
// devices are skipped (opening a FIFO could block the scan); a file swapped for something else
// between listing and reading is skipped. `.git` directories are skipped everywhere, and
// proc/sys/dev at the top (Trivy's default skip list): they hold no packages, only cost.
import { constants, createReadStream } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { AnalyzerRegistry, CheckDefinition } from '@assay/inventory';
import { checkPathsOf, runChecks } from './checks.ts';
import { finalView } from './final-view.ts';
import { LayerLimitError, type LayerLimits } from './limits.ts';
import type { ScanProgressUpdate, ScanState, ScanTarget } from './state.ts';
import { analyzeLayer } from './walker.ts';

export type FilesystemMode = 'directory' | 'rootfs';

/** The report's `image.registry` for a scanned directory: it names no registry. */
export const FILESYSTEM_REGISTRY = 'local';
/** `image.mediaType` of a scanned directory (a project) and of a root filesystem. */
export const FILESYSTEM_MEDIA_TYPES: Record<FilesystemMode, string> = {
  directory: 'application/vnd.assay.filesystem.directory.v1.tar',
  rootfs: 'application/vnd.assay.filesystem.rootfs.v1.tar',
};

export interface FilesystemScanDeps {
  analyzers: AnalyzerRegistry;
  limits: LayerLimits;
  onProgress?: ((p: ScanProgressUpdate) => void) | undefined;
  checks?: readonly CheckDefinition[] | undefined;
  /** How the report says malware was not looked for (clamd sees image layers, not directories). */
  malwareDisabledWarning?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A stand-in layer digest while the directory is read: its real digest is known only at the end. */
const PENDING = `sha256:${'0'.repeat(64)}`;
const SKIP_ANYWHERE = new Set(['.git']);
const SKIP_AT_TOP = new Set(['proc', 'sys', 'dev']);

/** `filesystem/<name>` or `rootfs/<name>`: the directory's base name, made repository-shaped. */
export function filesystemRepository(root: string, mode: FilesystemMode): string {
  const name = basename(resolve(root))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `${mode === 'rootfs' ? 'rootfs' : 'filesystem'}/${name || 'root'}`;
}

type TarHeader = Parameters<tar.Pack['entry']>[0];

interface TarOut {
  pack: tar.Pack;
  skipped: string[];
}

function entry(pack: tar.Pack, header: TarHeader, body?: string): Promise<void> {
  return new Promise((res, rej) => pack.entry(header, body ?? '', (err) => (err ? rej(err) : res())));
}

/** One regular file, opened without following a link; skipped when it is no longer a regular file. */
async function addFile(out: TarOut, abs: string, name: string): Promise<void> {
  let fh;
  try {
    fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    out.skipped.push(`${name}: not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      out.skipped.push(`${name}: changed while being read; skipped`);
      return;
    }
    const header: TarHeader = { name, type: 'file', size: st.size, mode: st.mode & 0o7777, mtime: new Date(0), uid: 0, gid: 0 };
    if (st.size === 0) return await entry(out.pack, header);
    // Exactly the size announced: a file that grows meanwhile is cut, one that shrinks fails the scan.
    const src = createReadStream('', { fd: fh, autoClose: false, start: 0, end: st.size - 1 });
    const sink = out.pack.entry(header);
    await pipeline(src, sink);
  } finally {
    await fh.close();
  }
}

/** Writes `dir` (relative `rel`) and everything under it, sorted, into the pack. */
async function addTree(out: TarOut, root: string, rel: string, signal: AbortSignal | undefined): Promise<void> {
  const names: string[] = [];
  for await (const d of await opendir(join(root, rel))) names.push(d.name);
  names.sort();
  for (const n of names) {
    signal?.throwIfAborted();
    if (SKIP_ANYWHERE.has(n) || (rel === '' && SKIP_AT_TOP.has(n))) continue;
    const name = rel === '' ? n : `${rel}/${n}`;
    const abs = join(root, name);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      await entry(out.pack, { name: `${name}/`, type: 'directory', mode: st.mode & 0o7777, mtime: new Date(0), uid: 0, gid: 0 });
      await addTree(out, root, name, signal).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EACCES' && err.code !== 'EPERM') throw err;
        out.skipped.push(`${name}/: not readable (${err.code})`);
      });
    } else if (st.isFile()) {
      await addFile(out, abs, name);
    } else if (st.isSymbolicLink()) {
      const target = await readlink(abs).catch(() => '');
      await entry(out.pack, { name, type: 'symlink', linkname: target, mode: 0o777, mtime: new Date(0), uid: 0, gid: 0 });
    } else {
      out.skipped.push(`${name}: not a regular file, directory or symlink (skipped)`);
    }
  }
}

/** The directory as a canonical tar stream; `skipped` fills as it is read. */
export function directoryTar(root: string, signal?: AbortSignal): TarOut {
  const out: TarOut = { pack: tar.pack(), skipped: [] };
  void addTree(out, root, '', signal).then(
    () => out.pack.finalize(),
    (err: Error) => out.pack.destroy(err),
  );
  return out;
}

/**
 * Scans a directory into `state` as an image of one layer; the target names it (see
 * FILESYSTEM_REGISTRY, filesystemRepository; the digest is the canonical tar's sha256).
 */
export async function scanFilesystem(
  deps: FilesystemScanDeps,
  root: string,
  mode: FilesystemMode,
  state: ScanState,
): Promise<{ target: ScanTarget; state: ScanState }> {
  // The directory named may itself be a link (the user chose it); nothing below it is followed.
  const abs = await realpath(resolve(root));
  const st = await stat(abs);
  if (!st.isDirectory()) throw new Error(`${root} is not a directory`);
  const repository = filesystemRepository(abs, mode);
  const progress = (stage: string, bytesDone = 0) =>
    deps.onProgress?.({ digest: repository, stage, layersDone: stage === 'done' ? 1 : 0, layersTotal: 1, bytesDone });
  state.malwareEnabled = false;
  if (deps.malwareDisabledWarning !== undefined) state.malwareDisabledWarning = deps.malwareDisabledWarning;
  const checkPaths = checkPathsOf(deps.checks ?? []);
  const tarOut = directoryTar(abs, deps.signal);
  progress('layer');
  let walked;
  try {
    walked = await analyzeLayer(Readable.from(tarOut.pack), deps.analyzers, {
      layerDigest: PENDING,
      limits: deps.limits,
      onProgress: (bytes) => progress('layer', bytes),
      signal: deps.signal,
      ...(checkPaths.size > 0 ? { checkPaths } : {}),
    });
  } catch (err) {
    tarOut.pack.destroy();
    // The limit names the stand-in digest; the directory is what the user named.
    if (err instanceof LayerLimitError) throw new Error(`${abs}: ${err.message.replace(/^.*?layer \S+ /, '')}`, { cause: err });
    throw err;
  }
  const digest = walked.diffId;
  // Findings and packages carry the layer they came from: the directory's own digest.
  const analysis = JSON.parse(JSON.stringify(walked).replaceAll(PENDING, digest)) as typeof walked;
  analysis.warnings.push(...tarOut.skipped.slice(0, 100));
  if (tarOut.skipped.length > 100) analysis.warnings.push(`... and ${tarOut.skipped.length - 100} more entries skipped`);
  if (mode === 'rootfs' && !analysis.os) state.warnings.push(`${abs}: no os-release found; is it a root filesystem?`);
  state.analyses.push(analysis);
  state.layers.push({
    digest,
    diffId: digest,
    size: analysis.inflatedBytes,
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    cached: false,
    entries: analysis.entries,
    inflatedBytes: analysis.inflatedBytes,
    compression: analysis.compression,
  });
  state.view = finalView(state.analyses);
  state.checks = runChecks(deps.checks ?? [], state.analyses, state.config, state.view.packages);
  progress('done');
  const target: ScanTarget = { registry: FILESYSTEM_REGISTRY, repository, digest, mediaType: FILESYSTEM_MEDIA_TYPES[mode] };
  return { target, state };
}
