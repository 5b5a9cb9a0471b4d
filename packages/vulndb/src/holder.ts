// The scanner's current database, swapped atomically. A match takes a lease on the database it
// started with; a swap makes the new one current at once and closes the old one only when its
// last lease is released, so no match ever sees a closed handle or a mix of two databases.
import { join } from 'node:path';
import { DB_FILE_NAME } from './install.ts';
import { openDatabase, type VulnDb } from './match.ts';

export interface Lease {
  readonly db: VulnDb;
  release(): void;
}

export class DbHolder {
  #current: VulnDb | undefined;
  readonly #leases = new Map<VulnDb, number>();
  readonly #retired = new Set<VulnDb>();
  readonly #open: (file: string) => VulnDb;

  constructor(opts: { open?: (file: string) => VulnDb } = {}) {
    this.#open = opts.open ?? ((f) => openDatabase(f));
  }

  get current(): VulnDb | undefined {
    return this.#current;
  }

  get version(): string | undefined {
    return this.#current?.version;
  }

  /** Makes `db` current; the previous one closes when its leases are released. */
  swap(db: VulnDb): void {
    const old = this.#current;
    this.#current = db;
    if (old && old !== db) this.#retire(old);
  }

  /** Opens `<dir>/vulndb.sqlite` (or a file path ending in .sqlite) and makes it current. */
  load(dirOrFile: string): VulnDb {
    const file = dirOrFile.endsWith('.sqlite') ? dirOrFile : join(dirOrFile, DB_FILE_NAME);
    const db = this.#open(file);
    this.swap(db);
    return db;
  }

  acquire(): Lease {
    const db = this.#current;
    if (!db) throw new Error('no vulnerability database loaded');
    this.#leases.set(db, (this.#leases.get(db) ?? 0) + 1);
    let released = false;
    return {
      db,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.#leases.get(db) ?? 1) - 1;
        if (n > 0) this.#leases.set(db, n);
        else {
          this.#leases.delete(db);
          if (this.#retired.delete(db)) db.close();
        }
      },
    };
  }

  /** Runs `fn` with the current database, holding a lease for its whole duration. */
  async use<T>(fn: (db: VulnDb) => T | Promise<T>): Promise<T> {
    const lease = this.acquire();
    try {
      return await fn(lease.db);
    } finally {
      lease.release();
    }
  }

  /** Closes the current database (and retired ones once released). */
  close(): void {
    const cur = this.#current;
    this.#current = undefined;
    if (cur) this.#retire(cur);
  }

  #retire(db: VulnDb): void {
    if ((this.#leases.get(db) ?? 0) > 0) this.#retired.add(db);
    else db.close();
  }
}
