// Real ClamAV daemon (Debian `clamav-daemon`) on a free loopback TCP port with its own temp dir.
// No signatures can be downloaded here and clamd refuses an empty database, so it runs on a tiny
// custom database that detects the EICAR test file (plus whatever the caller adds). Also the
// clamd wire protocol the self-tests use: z-terminated commands and INSTREAM.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { freePort } from './ports.ts';
import { type ManagedProcess, startProcess, waitFor } from './processes.ts';
import { makeTempDir } from './tempdir.ts';

export const EICAR_MD5 = '44d88612fea8a8f36de82e1278abb02f';
export const EICAR_SIGNATURE = 'Assay.Test.EICAR';
/** What clamd reports for a custom-database hit: the name with `.UNOFFICIAL` appended. */
export const EICAR_DETECTION = `${EICAR_SIGNATURE}.UNOFFICIAL`;

/**
 * The 68-byte EICAR test file, assembled at run time from pieces so that no file in the
 * repository holds it (antivirus on developers' machines would flag the repository).
 */
export function eicarBytes(): Buffer {
  const pieces = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-', 'ANTIVIRUS-TEST-', 'FILE!$H+H*'];
  return Buffer.from(pieces.join(''), 'ascii');
}

export interface ClamdOptions {
  /** Extra `.hdb` lines (`MD5:SIZE:NAME`) next to the EICAR one. */
  hdb?: string[];
  /** Extra database files by name, e.g. `{ 'extra.ndb': 'Name:0:*:hexbytes\n' }`. */
  databases?: Record<string, string>;
  /** clamd's StreamMaxLength (INSTREAM limit); default `100M`. */
  streamMaxLength?: string;
  /** Raw lines appended to clamd.conf (e.g. `MaxFileSize 10M`). */
  extraConfig?: string;
}

export interface Clamd {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly process: () => ManagedProcess | undefined;
  stop(): Promise<void>;
  /** Stops clamd and removes its directory. */
  close(): Promise<void>;
}

/** clamd lives in sbin, which a non-root PATH often lacks: `ASSAY_CLAMD`, then PATH, then the sbin dirs. */
async function resolveClamd(): Promise<string> {
  const override = process.env.ASSAY_CLAMD;
  if (override) return override;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'].filter(Boolean);
  for (const d of dirs) {
    const candidate = join(d, 'clamd');
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error('clamd not found (install clamav-daemon, or set ASSAY_CLAMD)');
}

export async function startClamd(opts: ClamdOptions = {}): Promise<Clamd> {
  const clamd = await resolveClamd();
  const tmp = await makeTempDir('clamd');
  const dir = tmp.path;
  const dbDir = join(dir, 'db');
  const tmpDir = join(dir, 'tmp');
  await mkdir(dbDir);
  await mkdir(tmpDir);
  await writeFile(join(dbDir, 'assay-test.hdb'), [`${EICAR_MD5}:68:${EICAR_SIGNATURE}`, ...(opts.hdb ?? [])].join('\n') + '\n');
  for (const [name, content] of Object.entries(opts.databases ?? {})) await writeFile(join(dbDir, name), content);
  const port = await freePort();
  const configFile = join(dir, 'clamd.conf');
  // No `User`: clamd then keeps running as whoever started it (root in CI), with every path in
  // its own temp dir, so it needs neither the clamav user nor /var/run/clamav.
  await writeFile(
    configFile,
    [
      'Foreground yes',
      `DatabaseDirectory ${dbDir}`,
      `TemporaryDirectory ${tmpDir}`,
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `PidFile ${join(dir, 'clamd.pid')}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      'SelfCheck 0',
      `StreamMaxLength ${opts.streamMaxLength ?? '100M'}`,
      'ScanArchive yes',
      // A layer with more files than MaxFiles would otherwise come back clean: make it an alert,
      // so the scanner falls back to scanning file by file.
      'AlertExceedsMax yes',
      opts.extraConfig ?? '',
    ].join('\n') + '\n',
  );
  const proc = startProcess(clamd, [`--config-file=${configFile}`]);
  const addr = { host: '127.0.0.1', port };
  try {
    await waitFor('clamd PONG', async () => ((await clamdCommand(addr, 'PING', 1000)) === 'PONG' ? true : undefined), {
      process: proc,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  } catch (err) {
    await proc.kill();
    await tmp.remove();
    throw err;
  }
  return {
    ...addr,
    dir,
    process: () => proc,
    stop: () => proc.stop(),
    async close() {
      await proc.stop();
      await tmp.remove();
    },
  };
}

export interface ClamdAddress {
  host: string;
  port: number;
}

/** Sends `z<COMMAND>\0` and returns the reply without its terminating NUL (e.g. `PONG`). */
export function clamdCommand(addr: ClamdAddress, command: string, timeoutMs = 10_000): Promise<string> {
  return clamdExchange(addr, [Buffer.from(`z${command}\0`)], timeoutMs);
}

/**
 * INSTREAM: `zINSTREAM\0`, then chunks each prefixed by its 4-byte big-endian length, then a zero
 * length. Returns clamd's reply, e.g. `stream: OK` or `stream: NAME FOUND`.
 */
export function clamdInstream(addr: ClamdAddress, data: Buffer, chunkSize = 64 * 1024, timeoutMs = 30_000): Promise<string> {
  const parts: Buffer[] = [Buffer.from('zINSTREAM\0')];
  for (let off = 0; off < data.length; off += chunkSize) {
    const chunk = data.subarray(off, off + chunkSize);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(chunk.length);
    parts.push(len, chunk);
  }
  parts.push(Buffer.alloc(4));
  return clamdExchange(addr, parts, timeoutMs);
}

function clamdExchange(addr: ClamdAddress, parts: Buffer[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(addr.port, addr.host);
    const chunks: Buffer[] = [];
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      resolve(Buffer.concat(chunks).toString('utf8').replace(/\0+$/, '').trim());
    };
    const timer = setTimeout(() => finish(new Error(`clamd did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (c.includes(0)) finish();
    });
    socket.on('end', () => finish());
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
  });
}
