// The TCP side: accepts connections on loopback, frames messages, decodes OP_MSG / OP_QUERY,
// applies injected faults, dispatches to the command table and writes the reply. Messages on a
// connection are handled one after another, as mongod does for a single connection.
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Document } from 'bson';
import { COMMANDS } from './commands/index.ts';
import { helloReply, MAX_MESSAGE_SIZE_BYTES } from './commands/admin.ts';
import { CommandContext, type ServerInfo } from './context.ts';
import { CursorRegistry } from './cursors.ts';
import { Code, CommandError, codeName } from './errors.ts';
import type { Faults } from './faults.ts';
import type { Store } from './store.ts';
import { decodeView, MAX_BSON_INTERNAL_SIZE } from './values.ts';
import { decodeMessage, encodeOpMsgReply, encodeOpReply, MessageFramer, MSG_MORE_TO_COME, type OpMsg, type OpQuery } from './wire.ts';

export interface ServerOptions {
  store: Store;
  faults: Faults;
  host: string;
}

export class StandinServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly store: Store;
  private readonly faults: Faults;
  private readonly host: string;
  readonly cursors = new CursorRegistry();
  private connectionCount = 0;
  private readonly startedAt = new Date();
  readonly commandCounts = new Map<string, number>();

  constructor(opts: ServerOptions) {
    this.store = opts.store;
    this.faults = opts.faults;
    this.host = opts.host;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Listens on `port` (0: any free port) and resolves with the bound port. */
  async listen(port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('mongo-standin: no TCP address');
    return addr.port;
  }

  /** Stops listening and drops every connection; server-side cursors die with the process. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    this.cursors.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = ++this.connectionCount;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const info: ServerInfo = {
      connectionId,
      remote,
      startedAt: this.startedAt,
      openConnections: () => this.sockets.size,
      totalConnections: () => this.connectionCount,
    };
    const framer = new MessageFramer(MAX_MESSAGE_SIZE_BYTES);
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch {
        socket.destroy(); // an unframeable stream cannot be answered; mongod drops it too
        return;
      }
      for (const m of messages) {
        chain = chain
          .then(() => this.handle(socket, m, info))
          .catch(() => {
            socket.destroy();
          });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(socket: Socket, raw: Buffer, info: ServerInfo): Promise<void> {
    if (socket.destroyed) return;
    const msg = decodeMessage(raw);
    if (msg.kind === 'query') return this.handleQuery(socket, msg, info);
    if (msg.kind === 'other') {
      socket.destroy(); // removed legacy opcodes (OP_INSERT, OP_GET_MORE, ...) and OP_COMPRESSED
      return;
    }
    const reply = await this.handleMsg(socket, msg, info);
    if (reply === undefined || socket.destroyed) return;
    if (msg.flags & MSG_MORE_TO_COME) return; // unacknowledged write: the client expects no reply
    let bytes: Buffer;
    try {
      bytes = encodeOpMsgReply(msg.header.requestId, reply);
    } catch (err) {
      const e = new CommandError(Code.BSONObjectTooLarge, `mongo-standin could not encode the reply: ${(err as Error).message}`);
      bytes = encodeOpMsgReply(msg.header.requestId, e.toReply());
    }
    socket.write(bytes);
  }

  /** OP_QUERY survives only for the first hello of a connection, as in MongoDB 6.0+. */
  private handleQuery(socket: Socket, msg: OpQuery, info: ServerInfo): void {
    let reply: Document;
    let query = decodeView(msg.query);
    if (query['$query'] !== undefined && typeof query['$query'] === 'object') query = query['$query'] as Document;
    const name = Object.keys(query)[0] ?? '';
    const isHello = msg.fullCollectionName.endsWith('.$cmd') && ['hello', 'ismaster'].includes(name.toLowerCase());
    this.count(name);
    if (isHello) {
      const ctx = this.context(name, msg.fullCollectionName.slice(0, -5), query, msg.query, new Map(), info);
      reply = helloReply(ctx, name.toLowerCase() === 'ismaster');
    } else {
      reply = new CommandError(
        Code.UnsupportedOpQueryCommand,
        `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
      ).toReply();
    }
    socket.write(encodeOpReply(msg.header.requestId, reply));
  }

  private context(
    name: string,
    db: string,
    cmd: Document,
    body: Buffer,
    sequences: Map<string, Buffer[]>,
    info: ServerInfo,
  ): CommandContext {
    return new CommandContext({ db, name, cmd, body, sequences, store: this.store, cursors: this.cursors, server: info });
  }

  private count(name: string): void {
    this.commandCounts.set(name, (this.commandCounts.get(name) ?? 0) + 1);
  }

  private async handleMsg(socket: Socket, msg: OpMsg, info: ServerInfo): Promise<Document | undefined> {
    let cmd: Document;
    try {
      cmd = decodeView(msg.body);
    } catch (err) {
      return new CommandError(22, `invalid BSON in command body: ${(err as Error).message}`).toReply();
    }
    const name = Object.keys(cmd)[0] ?? '';
    this.count(name);
    const fault = this.faults.take(name);
    if (fault?.kind === 'close') {
      this.dropConnections();
      return undefined;
    }
    let reply: Document;
    if (fault?.kind === 'fail') {
      const e = fault.error;
      reply = { ok: 0, errmsg: e.errmsg ?? 'mongo-standin: injected failure', code: e.code, codeName: e.codeName ?? codeName(e.code) };
      if (e.errorLabels) reply['errorLabels'] = e.errorLabels;
    } else {
      reply = this.run(name, cmd, msg, info);
    }
    const delay = this.faults.delayFor(name);
    if (delay > 0) await sleep(delay);
    if (socket.destroyed) return undefined;
    return reply;
  }

  private run(name: string, cmd: Document, msg: OpMsg, info: ServerInfo): Document {
    try {
      if (msg.body.length > MAX_BSON_INTERNAL_SIZE) {
        throw new CommandError(
          Code.BSONObjectTooLarge,
          `BSONObj size: ${msg.body.length} (0x${msg.body.length.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_BSON_INTERNAL_SIZE}(16MB) First element: ${name}: ${JSON.stringify(cmd[name])}`,
        );
      }
      const db = cmd['$db'];
      if (typeof db !== 'string') throw new CommandError(40571, 'OP_MSG requests require a $db argument');
      // A standalone mongod refuses transaction numbers, which covers both transactions and
      // retryable writes (the driver does not send the latter to a server without setName).
      if (cmd['txnNumber'] !== undefined || cmd['startTransaction'] !== undefined || cmd['autocommit'] !== undefined) {
        throw new CommandError(Code.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
      }
      const handler = COMMANDS.get(name);
      if (!handler) throw new CommandError(Code.CommandNotFound, `no such command: '${name}'`);
      const sequences = new Map(msg.sequences.map((s) => [s.identifier, s.documents]));
      return handler(this.context(name, db, cmd, msg.body, sequences, info));
    } catch (err) {
      if (err instanceof CommandError) return err.toReply();
      // A bug in the stand-in, not a server behaviour: say so plainly.
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return { ok: 0, errmsg: `mongo-standin internal error in '${name}': ${message}`, code: 1, codeName: 'InternalError' };
    }
  }
}
