// The webhook's TLS material: certificate, key and (optionally) the CA client certificates must
// chain to, read from files and reloaded when they change (cert-manager renewals, Secret
// updates). Files are polled by stat rather than watched by inode, because a mounted Secret is
// replaced through a symlink swap that an inode watch does not follow. A reload that fails
// (half-written files, a key that does not match) keeps the current context and is logged.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** Reads and checks the files (throws with the file named when one is missing or they do not fit together). */
export function loadTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the webhook TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const m: TlsMaterial = { cert: read('certificate', files.cert), key: read('key', files.key) };
  if (files.ca !== undefined) m.ca = read('client CA', files.ca);
  try {
    createSecureContext(m);
  } catch (err) {
    throw new Error(`webhook TLS certificate ${files.cert} and key ${files.key} are not usable: ${(err as Error).message}`);
  }
  return m;
}

export interface TlsWatcher {
  stop(): void;
}

/** Calls `apply` with fresh material whenever one of the files changes (and loads cleanly). */
export function watchTls(
  files: TlsFiles,
  apply: (m: TlsMaterial) => void,
  opts: { intervalMs?: number; logger: { info(o: object, m: string): void; error(o: object, m: string): void } },
): TlsWatcher {
  const paths = [files.cert, files.key, ...(files.ca !== undefined ? [files.ca] : [])];
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    // Writers replace cert and key one after the other: let both land before reading.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      try {
        apply(loadTls(files));
        opts.logger.info({ cert: files.cert }, 'webhook TLS material reloaded');
      } catch (err) {
        opts.logger.error({ err }, 'reloading the webhook TLS material failed; keeping the current one');
      }
    }, 100);
    timer.unref();
  };
  const listener = (curr: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) reload();
  };
  for (const p of paths) watchFile(p, { interval: opts.intervalMs ?? 2000, persistent: false }, listener);
  return {
    stop() {
      if (timer) clearTimeout(timer);
      for (const p of paths) unwatchFile(p, listener);
    },
  };
}
