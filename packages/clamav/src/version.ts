// clamd's VERSION reply: `ClamAV 1.4.6/27431/Wed Nov 26 09:24:01 2026` (engine / signature
// database version / database build date). Without official databases clamd may omit the
// database parts, so they are optional.

export interface ClamdVersion {
  /** Engine version, `1.4.6`. */
  readonly engine: string;
  /** Signature database version (daily.cvd's), when clamd reports one. */
  readonly databaseVersion?: number;
  /** Database build date as clamd prints it. */
  readonly databaseDate?: string;
  /** The reply as received. */
  readonly raw: string;
}

const VERSION_RE = /^ClamAV\s+(\S+?)(?:\/(\d+)(?:\/(.+))?)?$/;

/** Parses a VERSION reply; undefined when it is not one. */
export function parseClamdVersion(reply: string): ClamdVersion | undefined {
  const raw = reply.trim();
  const m = VERSION_RE.exec(raw);
  if (!m) return undefined;
  const [, engine = '', db, date] = m;
  return {
    engine,
    ...(db !== undefined ? { databaseVersion: Number(db) } : {}),
    ...(date !== undefined && date.trim() !== '' ? { databaseDate: date.trim() } : {}),
    raw,
  };
}
