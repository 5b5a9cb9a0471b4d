// Versioned documents (image assurance policies, runtime policies, exception history): every
// change is a new version (1, 2, 3…); a delete is a tombstone version; nothing is overwritten,
// so the verdict that cites "policy p v7" can always be explained later.

/**
 * Who manages a document, recorded on each version: the REST API (and YAML import), or the
 * Kubernetes controller from a custom resource (the object's resource version, uid and generation
 * the version was written from, so a re-list or a restart can tell it already wrote them).
 */
export interface VersionSource {
  managedBy: 'kubernetes' | 'api';
  resourceVersion?: string;
  uid?: string;
  generation?: number;
}

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
  /** Who manages it from this version on; absent on versions written before sources were recorded (the API's). */
  source?: VersionSource;
}

/** Who manages the document as of `r` (versions without a source were written through the API). */
export function managedBy(r: Pick<VersionedRecord<unknown>, 'source'>): VersionSource['managedBy'] {
  return r.source?.managedBy ?? 'api';
}
