// Versioned documents (image assurance policies, runtime policies, exception history): every
// change is a new version (1, 2, 3…); a delete is a tombstone version; nothing is overwritten,
// so the verdict that cites "policy p v7" can always be explained later.

/** One version of a versioned document. */
export interface VersionedRecord<T> {
  id: string;
  /** 1 for the first version, +1 per change. */
  version: number;
  /** The document; null on a tombstone. */
  document: T | null;
  createdAt: Date;
  createdBy: string;
  deleted: boolean;
}
