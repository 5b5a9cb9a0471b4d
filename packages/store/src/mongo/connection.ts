// Connecting to MongoDB: client options, and start-up failures turned into one clear error.
import { accessSync, constants } from 'node:fs';
import { MongoClient, MongoServerError, type MongoClientOptions } from 'mongodb';
import { StoreError, StoreUnavailableError } from '../errors.ts';

export interface MongoConnectionOptions {
  /** Connection string; credentials and auth options (authSource, authMechanism) come from it. */
  url: string;
  dbName: string;
  /** CA file (PEM) to verify the server; implies TLS. */
  tlsCAFile?: string;
  /** Client certificate + key (PEM) for TLS / X.509; implies TLS. */
  tlsCertificateKeyFile?: string;
  maxPoolSize?: number;
  waitQueueTimeoutMS?: number;
  serverSelectionTimeoutMS?: number;
  appName?: string;
}

/** The host list of a connection string, without credentials: safe for messages and logs. */
export function mongoHosts(url: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/?]*@)?([^/?]+)/.exec(url);
  return m?.[1] ?? 'the configured MongoDB';
}

export function clientOptions(o: MongoConnectionOptions): MongoClientOptions {
  const tls = o.tlsCAFile !== undefined || o.tlsCertificateKeyFile !== undefined;
  return {
    appName: o.appName ?? 'assay',
    // Retryable writes need a replica set or mongos (production); against a standalone server the
    // driver leaves them off by itself (no session support advertised), so setting it is harmless.
    retryWrites: true,
    retryReads: true,
    maxPoolSize: o.maxPoolSize ?? 20,
    // A full pool makes callers wait at most this long instead of queueing without bound.
    waitQueueTimeoutMS: o.waitQueueTimeoutMS ?? 10_000,
    // Small, so an unreachable server fails start-up (and calls) within seconds, not 30 s.
    serverSelectionTimeoutMS: o.serverSelectionTimeoutMS ?? 5000,
    connectTimeoutMS: Math.min(o.serverSelectionTimeoutMS ?? 5000, 10_000),
    // Majority-acknowledged writes survive a primary failover; a standalone acknowledges alone.
    writeConcern: { w: 'majority' },
    // Optional fields set to undefined are left out, not stored as null (documents round-trip).
    ignoreUndefined: true,
    ...(tls ? { tls: true } : {}),
    ...(o.tlsCAFile !== undefined ? { tlsCAFile: o.tlsCAFile } : {}),
    ...(o.tlsCertificateKeyFile !== undefined ? { tlsCertificateKeyFile: o.tlsCertificateKeyFile } : {}),
  };
}

/** Connects and pings; any failure becomes StoreUnavailableError naming the host(s). */
export async function connectMongo(o: MongoConnectionOptions): Promise<MongoClient> {
  const hosts = mongoHosts(o.url);
  // The driver would report an unreadable TLS file as a connection failure; say what it is.
  for (const [what, file] of [
    ['TLS CA file', o.tlsCAFile],
    ['TLS client certificate/key file', o.tlsCertificateKeyFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new StoreUnavailableError(`MongoDB ${what} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        cause: err,
      });
    }
  }
  let client: MongoClient;
  try {
    client = new MongoClient(o.url, clientOptions(o));
  } catch (err) {
    throw new StoreUnavailableError(`MongoDB connection string for ${hosts} is unusable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    await client.connect();
    await client.db(o.dbName).command({ ping: 1 });
    return client;
  } catch (err) {
    await client.close().catch(() => {});
    throw unavailable(hosts, err);
  }
}

export function unavailable(hosts: string, err: unknown): StoreUnavailableError {
  const e = err as Error;
  if (e instanceof MongoServerError) {
    return new StoreUnavailableError(`MongoDB at ${hosts} refused the connection: ${e.message}`, { cause: err });
  }
  const reason = e?.name === 'MongoServerSelectionError' ? `no server answered (${e.message})` : (e?.message ?? String(err));
  return new StoreUnavailableError(`MongoDB at ${hosts} is unreachable: ${reason}`, { cause: err });
}

/** Network and server-selection failures during operation become StoreUnavailableError too. */
export function translateMongoError(hosts: string, err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const name = (err as Error)?.name ?? '';
  if (
    name === 'MongoServerSelectionError' ||
    name === 'MongoNetworkError' ||
    name === 'MongoNetworkTimeoutError' ||
    name === 'MongoTopologyClosedError' ||
    name === 'MongoWaitQueueTimeoutError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoClientClosedError'
  ) {
    return unavailable(hosts, err);
  }
  return err;
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 11000;
}

/** A document whose `_id` is a natural string key (digest, id, cache key). */
export interface KeyedDoc {
  _id: string;
  [field: string]: unknown;
}
