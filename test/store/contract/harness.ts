// What an adapter's test file gives the contract: a way to open a store on a fresh, empty
// database, and the few raw hooks the tests need.
import type { Store, StoreOptions } from '@assay/store';

/** Collections the raw hooks address (MongoDB collection names; SQLite maps them to tables). */
export type RawCollection = 'policies' | 'runtimePolicies' | 'exceptions' | 'reports' | 'reportChunks' | 'layerCache' | 'inventory';

export interface StoreHarness {
  /** A store on a fresh, empty database. */
  readonly store: Store;
  /** Another store on the same database: another connection, as another process would have. */
  openAnother(): Promise<Store>;
  /**
   * Writes a stored document as is, bypassing the repositories, the way older code wrote it:
   * `policies`/`inventory` documents in their stored form, `reportChunks` as
   * { generation, n, data: Buffer, createdAt: Date }.
   */
  writeRaw(collection: RawCollection, doc: Record<string, unknown>): Promise<void>;
  /** Number of stored documents (rows) of a collection. */
  countRaw(collection: RawCollection): Promise<number>;
  /** Closes every store opened and removes the database. */
  close(): Promise<void>;
}

export type OpenFreshStore = (options?: StoreOptions) => Promise<StoreHarness>;
