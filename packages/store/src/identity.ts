// A store's identity: a random id created once, the first time any process asks, and kept in
// the database itself. Two services share a store exactly when their stores report the same
// id; a new database (an emptyDir of its own, a wiped volume, another MongoDB) gets a new one.
// This is what lets a deployment notice that a service judges from a store nobody else writes.
import { randomUUID } from 'node:crypto';

export interface StoreIdentity {
  /** Random, created once per database (UUID). */
  readonly id: string;
  readonly kind: 'mongodb' | 'sqlite';
  /** Where the store is now: the SQLite file's absolute path, or MongoDB `host[:port][,…]/db`. Never credentials. */
  readonly location: string;
  /** When the identity was created (ISO 8601). */
  readonly createdAt: string;
}

/** The part kept in the database; kind and location describe where it is opened. */
export interface StoredIdentity {
  readonly id: string;
  readonly createdAt: string;
}

export function newStoredIdentity(now: Date): StoredIdentity {
  return { id: randomUUID(), createdAt: now.toISOString() };
}
