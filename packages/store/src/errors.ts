// Errors of the store. Callers branch on the class (or `code`), never on message text.
// A document refused before anything is written is a ValidationError of @assay/domain.

export class StoreError extends Error {
  readonly code: string = 'STORE_ERROR';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/**
 * A write lost a race or broke a uniqueness rule: an optimistic-concurrency update whose
 * expected version is no longer current, or a create of something that already exists.
 */
export class ConflictError extends StoreError {
  override readonly code = 'CONFLICT';
  /** For versioned documents: the version the caller expected, and the one actually current. */
  readonly expectedVersion: number | undefined;
  readonly actualVersion: number | undefined;
  constructor(message: string, versions: { expected?: number; actual?: number } = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConflictError';
    this.expectedVersion = versions.expected;
    this.actualVersion = versions.actual;
  }
}

export class NotFoundError extends StoreError {
  override readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A stored document has a schemaVersion this code cannot read (written by newer code, or no upgrade path). */
export class SchemaVersionError extends StoreError {
  override readonly code = 'SCHEMA_VERSION';
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

/** The database cannot be reached or opened (the message names the host or file). */
export class StoreUnavailableError extends StoreError {
  override readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A stored document does not decode (bad JSON, fails its schema after upgrade, missing report chunks). */
export class CorruptDocumentError extends StoreError {
  override readonly code = 'CORRUPT';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CorruptDocumentError';
  }
}
