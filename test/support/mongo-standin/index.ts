// MongoDB wire-protocol stand-in: an in-process TCP server that the official `mongodb` driver
// talks to as if it were a MongoDB 7.0 standalone, so the Mongo adapter's contract suite runs
// here, where no MongoDB can be installed. Test scaffolding only: never shipped. The same tests
// run against a real server whenever MONGO_URL is set.
//
// What it implements: OP_MSG (body + document sequences; checksum flag accepted, not verified)
// and OP_QUERY for the initial handshake; hello/isMaster, ping, buildInfo, hostInfo,
// getParameter, serverStatus, whatsmyuri, connectionStatus, endSessions, listDatabases,
// dropDatabase; create, drop, renameCollection, listCollections, createIndexes (unique,
// compound unique, sparse and partialFilterExpression enforced), listIndexes, dropIndexes;
// insert, update, delete, findAndModify, find, getMore, killCursors, count, distinct, aggregate.
// Queries, projections, update operators and pipelines run on mingo; sorting uses MongoDB's
// BSON order; documents are stored as their exact BSON bytes, so types round-trip.
//
// Boundaries (what a real server does and this one does not):
// - Standalone only: no replica set, so no transactions, no retryable writes (any command
//   carrying txnNumber/startTransaction/autocommit fails with code 20 IllegalOperation, as a
//   real standalone answers), no change streams, no read/write concern semantics (accepted,
//   ignored), no causal consistency ($clusterTime is never sent).
// - No authentication (saslStart etc. are unknown commands), no TLS, no compression.
// - Not implemented, failing loudly with code 238 NotImplemented: collation other than
//   "simple", capped/time-series/clustered collections, views, validators, tailable cursors,
//   explain, database-level aggregate, $out/$merge/$changeStream/$search and other server-only
//   stages. Unknown commands fail with code 59 CommandNotFound, unknown stages with 40324.
// - TTL indexes (expireAfterSeconds) are stored but never expire documents; text/geo/hashed
//   indexes are stored specifications only ($text/$near queries fail as unknown operators).
// - Indexes do not affect plans: every query scans (except {_id: v}), which only matters for
//   speed. A cursor works on a snapshot of the matching documents taken when it is opened.
// - Numeric types: stored documents keep exact BSON types; values that update operators
//   compute keep the type the field had (int64 stays int64, double stays double); aggregation
//   results are re-encoded from JS values (integers as int32/double, safe int64 as numbers).
//   Comparisons of int64 values beyond 2^53 and of Decimal128 in queries are approximate.
// - mingo semantics apply in corner cases of query matching where mingo and mongod differ
//   (e.g. type bracketing of $lt/$gt across types).
import { Faults } from './faults.ts';
import { StandinServer } from './server.ts';
import { Store } from './store.ts';

export { Faults, type InjectedError } from './faults.ts';
export { CommandError, Code } from './errors.ts';

export interface MongoStandinOptions {
  /** Port to listen on; default: a free port chosen by the kernel. */
  port?: number;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
}

export interface MongoStandin {
  /** A connection string for `new MongoClient(url)`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly faults: Faults;
  /** Whether the server is accepting connections (false between close() and restart()). */
  readonly running: boolean;
  /** Stops listening and drops every connection; data stays in memory for restart(). */
  close(): Promise<void>;
  /** Listens again on the same port with the data it had, as a restarted server would. */
  restart(): Promise<void>;
  /** Removes every database, collection, index and open cursor. */
  dropAll(): void;
  /** How many times each command name was received (including the handshake's isMaster). */
  commandCounts(): Record<string, number>;
}

export async function startMongoStandin(opts: MongoStandinOptions = {}): Promise<MongoStandin> {
  const host = opts.host ?? '127.0.0.1';
  const store = new Store();
  const faults = new Faults();
  const server = new StandinServer({ store, faults, host });
  const port = await server.listen(opts.port ?? 0);
  return {
    url: `mongodb://${host}:${port}/?directConnection=true`,
    host,
    port,
    faults,
    get running() {
      return server.listening;
    },
    close: () => server.close(),
    async restart() {
      if (server.listening) await server.close();
      await server.listen(port);
    },
    dropAll() {
      store.clear();
      server.cursors.clear();
    },
    commandCounts: () => Object.fromEntries(server.commandCounts),
  };
}
