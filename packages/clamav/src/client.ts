// A clamd client over its z-command protocol (commands and replies NUL-terminated). One
// connection per command: clamd serves each connection on its own thread and closes an INSTREAM
// connection after answering, so a pool of open sockets buys little; what must be bounded is
// how many scans run at once, which a small semaphore does.
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Semaphore } from '@assay/kit';
import { ClamdLimitError, ClamdProtocolError, ClamdUnavailableError } from './errors.ts';
import { parseClamdVersion, type ClamdVersion } from './version.ts';

export type ClamdAddress = { readonly host: string; readonly port: number } | { readonly socketPath: string };

export interface ClamdClientOptions {
  readonly address: ClamdAddress;
  /** Time to establish a connection. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Longest silence while sending or awaiting a reply. Default 60 s. */
  readonly timeoutMs?: number;
  /**
   * clamd's StreamMaxLength: the most bytes one INSTREAM may carry. The client refuses to send
   * more (ClamdLimitError) instead of letting clamd cut the stream off. Default 25 MiB, the
   * smallest default any clamd release has shipped; set it to the daemon's configured value.
   */
  readonly maxStreamBytes?: number;
  /** Bytes per INSTREAM chunk. Default 64 KiB. */
  readonly chunkBytes?: number;
  /** Commands in flight at once; more wait their turn. Default 4. */
  readonly maxConcurrent?: number;
}

export interface ScanResult {
  readonly infected: boolean;
  /** The signature name clamd reported (`Win.Test.EICAR_HDB-1`, `Name.UNOFFICIAL`). */
  readonly signature?: string;
  /** Bytes sent. */
  readonly bytes: number;
}

export const DEFAULT_MAX_STREAM_BYTES = 25 * 1024 * 1024;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

export class ClamdClient {
  readonly address: ClamdAddress;
  readonly maxStreamBytes: number;
  readonly #connectTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #chunkBytes: number;
  /** Connections to clamd at once (each scan holds one). */
  readonly #slots: Semaphore;

  constructor(opts: ClamdClientOptions) {
    this.address = opts.address;
    this.maxStreamBytes = positive(opts.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES, 'maxStreamBytes');
    this.#connectTimeoutMs = positive(opts.connectTimeoutMs ?? 5_000, 'connectTimeoutMs');
    this.#timeoutMs = positive(opts.timeoutMs ?? 60_000, 'timeoutMs');
    // clamd reads a chunk length as a 32-bit number; keep chunks far below that.
    this.#chunkBytes = Math.min(positive(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'chunkBytes'), 16 * 1024 * 1024);
    this.#slots = new Semaphore(positive(opts.maxConcurrent ?? 4, 'maxConcurrent'));
  }

  /** `host:port` or `unix:/path`, for messages. */
  get label(): string {
    return 'socketPath' in this.address ? `unix:${this.address.socketPath}` : `${this.address.host}:${this.address.port}`;
  }

  /** Resolves when clamd answers PONG; ClamdUnavailableError otherwise. */
  async ping(): Promise<void> {
    const reply = await this.command('PING');
    if (reply !== 'PONG') throw new ClamdProtocolError('unexpected PING reply', reply);
  }

  /** Engine and signature database versions. */
  async version(): Promise<ClamdVersion> {
    const reply = await this.command('VERSION');
    const v = parseClamdVersion(reply);
    if (!v) throw new ClamdProtocolError('unexpected VERSION reply', reply);
    return v;
  }

  /** Sends a bare command (`PING`, `VERSION`, `RELOAD`) and returns the reply without its NUL. */
  command(name: string): Promise<string> {
    if (!/^[A-Z]+$/.test(name)) throw new TypeError(`not a clamd command: ${JSON.stringify(name)}`);
    return this.#withConnection(async (conn) => {
      await conn.write(Buffer.from(`z${name}\0`));
      return conn.reply();
    });
  }

  /**
   * Scans bytes with INSTREAM. A stream longer than maxStreamBytes is refused with
   * ClamdLimitError before the excess is sent (the caller must split: scan per file); a
   * Readable is consumed (and destroyed if the scan stops early).
   */
  async scanStream(input: Readable | Uint8Array | AsyncIterable<Uint8Array>): Promise<ScanResult> {
    if (input instanceof Uint8Array && input.length > this.maxStreamBytes) {
      throw new ClamdLimitError(`${input.length} bytes exceed the stream limit of ${this.maxStreamBytes} bytes`, this.maxStreamBytes);
    }
    try {
      return await this.#instream(input);
    } catch (err) {
      // clamd answers a stream over its StreamMaxLength and closes at once; our next write can
      // fail (EPIPE, reset) before its answer is read. If clamd still answers PING, it was the
      // limit (clamd's own is lower than maxStreamBytes), not an outage.
      if (
        err instanceof MidStreamClose &&
        (await this.ping().then(
          () => true,
          () => false,
        ))
      ) {
        throw new ClamdLimitError(
          `clamd closed the stream after ${err.sent} bytes: its StreamMaxLength is below this client's maxStreamBytes (${this.maxStreamBytes})`,
          this.maxStreamBytes,
        );
      }
      throw err;
    }
  }

  #instream(input: Readable | Uint8Array | AsyncIterable<Uint8Array>): Promise<ScanResult> {
    return this.#withConnection(async (conn) => {
      let sent = 0;
      const write = async (buf: Uint8Array): Promise<boolean> => {
        try {
          return await conn.write(buf);
        } catch (err) {
          if (sent > 0 && err instanceof ClamdUnavailableError && /EPIPE|ECONNRESET/.test(err.message)) throw new MidStreamClose(err, sent);
          throw err;
        }
      };
      await write(Buffer.from('zINSTREAM\0'));
      const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array> = input instanceof Uint8Array ? [input] : input;
      for await (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        for (let off = 0; off < buf.length; off += this.#chunkBytes) {
          const piece = buf.subarray(off, off + this.#chunkBytes);
          if (sent + piece.length > this.maxStreamBytes) {
            throw new ClamdLimitError(`stream exceeds the limit of ${this.maxStreamBytes} bytes`, this.maxStreamBytes);
          }
          const len = Buffer.alloc(4);
          len.writeUInt32BE(piece.length);
          // clamd answers early when it refuses the stream: stop sending and read why.
          if (!(await write(len)) || !(await write(piece))) return parseScanReply(await conn.reply(), sent, this.maxStreamBytes);
          sent += piece.length;
        }
      }
      await write(Buffer.alloc(4));
      return parseScanReply(await conn.reply(), sent, this.maxStreamBytes);
    });
  }

  async #withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.#slots.run(async () => {
      let conn: Connection | undefined;
      try {
        conn = await Connection.open(this.address, this.label, this.#connectTimeoutMs, this.#timeoutMs);
        return await fn(conn);
      } finally {
        conn?.close();
      }
    });
  }
}

export function createClamdClient(opts: ClamdClientOptions): ClamdClient {
  return new ClamdClient(opts);
}

/** `stream: OK`, `stream: NAME FOUND`, `INSTREAM size limit exceeded. ERROR`, `... ERROR`. */
export function parseScanReply(reply: string, bytes: number, limit?: number): ScanResult {
  if (/size limit exceeded/i.test(reply)) throw new ClamdLimitError(`clamd refused the stream: ${reply}`, limit);
  const m = /^(?:stream|[^:]*):\s*(.*)$/s.exec(reply);
  const body = m?.[1]?.trim();
  if (body === 'OK') return { infected: false, bytes };
  if (body?.endsWith(' FOUND')) return { infected: true, signature: body.slice(0, -' FOUND'.length).trim(), bytes };
  throw new ClamdProtocolError(/ERROR$/.test(reply) ? 'clamd reported an error' : 'unexpected scan reply', reply);
}

/** The connection broke while the stream was being sent (internal: scanStream decides what it meant). */
class MidStreamClose extends ClamdUnavailableError {
  readonly sent: number;
  constructor(cause: ClamdUnavailableError, sent: number) {
    super(cause.address, cause.message.replace(/^clamd at \S+ is unavailable: /, ''), { cause });
    this.sent = sent;
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

/** One socket: writes with backpressure, and the NUL-terminated reply whenever it arrives. */
class Connection {
  readonly #socket: Socket;
  readonly #label: string;
  readonly #chunks: Buffer[] = [];
  #replied = false;
  #failure: Error | undefined;
  readonly #done: Promise<void>;
  #settle!: () => void;

  private constructor(socket: Socket, label: string, timeoutMs: number) {
    this.#socket = socket;
    this.#label = label;
    this.#done = new Promise<void>((resolve) => (this.#settle = resolve));
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => this.#fail(new ClamdUnavailableError(label, `no answer within ${timeoutMs} ms`)));
    socket.on('error', (err) => this.#fail(new ClamdUnavailableError(label, err.message, { cause: err })));
    socket.on('data', (c: Buffer) => {
      this.#chunks.push(c);
      if (c.includes(0)) this.#finish();
    });
    socket.on('end', () => this.#finish());
    socket.on('close', () => this.#finish());
  }

  static open(address: ClamdAddress, label: string, connectTimeoutMs: number, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = 'socketPath' in address ? connect(address.socketPath) : connect(address.port, address.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ClamdUnavailableError(label, `no connection within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ClamdUnavailableError(label, err.message, { cause: err }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Connection(socket, label, timeoutMs));
      });
    });
  }

  /** False once clamd has answered (it may refuse a stream mid-way); throws once the socket failed. */
  async write(buf: Uint8Array): Promise<boolean> {
    if (this.#replied) return false;
    if (this.#failure) throw this.#failure;
    if (!this.#socket.write(buf)) {
      await Promise.race([new Promise<void>((resolve) => this.#socket.once('drain', resolve)), this.#done]);
    }
    if (this.#replied) return false;
    if (this.#failure) throw this.#failure;
    return true;
  }

  async reply(): Promise<string> {
    await this.#done;
    const text = Buffer.concat(this.#chunks).toString('utf8');
    const end = text.indexOf('\0');
    // A reply, even one cut short by a reset, says more than the socket error that followed it.
    if (end >= 0) return text.slice(0, end).trim();
    if (this.#failure) throw this.#failure;
    if (text.trim() !== '') return text.trim();
    throw new ClamdUnavailableError(this.#label, 'connection closed without a reply');
  }

  close(): void {
    this.#socket.destroy();
  }

  #finish(): void {
    if (this.#replied) return;
    this.#replied = true;
    this.#settle();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#socket.destroy();
    this.#settle();
  }
}
