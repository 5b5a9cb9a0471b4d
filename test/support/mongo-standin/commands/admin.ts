// Handshake and administrative commands. The stand-in presents itself as a MongoDB 7.0
// standalone (no setName), so the driver treats it as one: implicit sessions are used, but
// retryable writes and transactions are not.
import { hostname } from 'node:os';
import type { Document } from 'bson';
import { CommandContext } from '../context.ts';
import { Code, CommandError } from '../errors.ts';
import { MAX_BSON_OBJECT_SIZE } from '../values.ts';

export const SERVER_VERSION = '7.0.0';
export const MAX_WIRE_VERSION = 21;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;
export const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

/**
 * The reply to hello / isMaster. No `topologyVersion`: without it the driver polls every
 * heartbeatFrequencyMS instead of holding a streaming (exhaust) hello open, which the stand-in
 * does not implement. No `compression`: the driver then never sends OP_COMPRESSED.
 */
export function helloReply(ctx: CommandContext, legacy: boolean): Document {
  const reply: Document = {};
  if (legacy) reply['ismaster'] = true;
  else reply['isWritablePrimary'] = true;
  if (ctx.cmd['helloOk'] === true) reply['helloOk'] = true;
  Object.assign(reply, {
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId: ctx.server.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  });
  return reply;
}

export const hello = (ctx: CommandContext): Document => helloReply(ctx, false);
export const isMaster = (ctx: CommandContext): Document => helloReply(ctx, true);

export const ping = (): Document => ({ ok: 1 });

export function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'mongo-standin',
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['inMemory'],
    ok: 1,
  };
}

export function hostInfo(): Document {
  return {
    system: { currentTime: new Date(), hostname: hostname(), cpuAddrSize: 64, numCores: 1, cpuArch: process.arch },
    os: { type: process.platform, name: 'mongo-standin', version: process.version },
    extra: {},
    ok: 1,
  };
}

const PARAMETERS: Record<string, unknown> = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
  transactionLifetimeLimitSeconds: 60,
};

export function getParameter(ctx: CommandContext): Document {
  if (ctx.db !== 'admin') throw new CommandError(13, 'getParameter may only be run against the admin database.');
  const reply: Document = {};
  const all = ctx.cmd['getParameter'] === '*' || ctx.cmd['allParameters'] === true;
  for (const [name, value] of Object.entries(PARAMETERS)) {
    if (all || ctx.cmd[name] !== undefined) reply[name] = value;
  }
  if (!all && Object.keys(reply).length === 0) throw new CommandError(Code.InvalidOptions, 'no option found to get');
  reply['ok'] = 1;
  return reply;
}

/** Sessions are accepted (and ignored) because the driver attaches an lsid to every command. */
export const endSessions = (): Document => ({ ok: 1 });

export function listDatabases(ctx: CommandContext): Document {
  if (ctx.db !== 'admin') throw new CommandError(13, 'listDatabases may only be run against the admin database.');
  const nameOnly = ctx.cmd['nameOnly'] === true;
  const databases = ctx.store.databaseNames().map((name) => {
    if (nameOnly) return { name };
    const sizeOnDisk = ctx.store.collections(name).reduce((s, c) => s + [...c.all()].reduce((t, d) => t + d.bytes.length, 0), 0);
    return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
  });
  const reply: Document = { databases };
  if (!nameOnly) reply['totalSize'] = databases.reduce((s, d) => s + ((d as { sizeOnDisk?: number }).sizeOnDisk ?? 0), 0);
  reply['ok'] = 1;
  return reply;
}

export function serverStatus(ctx: CommandContext): Document {
  const uptimeMillis = Date.now() - ctx.server.startedAt.getTime();
  return {
    host: hostname(),
    version: SERVER_VERSION,
    process: 'mongod',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    localTime: new Date(),
    connections: { current: ctx.server.openConnections(), available: 1000, totalCreated: ctx.server.totalConnections() },
    ok: 1,
  };
}

export const whatsmyuri = (ctx: CommandContext): Document => ({ you: ctx.server.remote, ok: 1 });

export const connectionStatus = (): Document => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
  ok: 1,
});

/** Real standalone servers refuse transactions; so does the stand-in, with the same error. */
export function noTransactions(): Document {
  throw new CommandError(Code.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
}
