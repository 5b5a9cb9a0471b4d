// The scan report repository: one report per image digest (the latest scan), also reachable
// by report id.
//
// A report can be far larger than MongoDB's 16 MB document limit (100,000 packages is ~40 MB of
// JSON), so both adapters store it the same way: the validated report is serialised to JSON,
// gzipped and cut into chunks (< 15 MB each), written under a fresh generation id; then the
// small head document (the metadata below) is pointed at that generation. A reader follows the
// head to one complete generation, so it never sees a half-written report; chunks of a
// generation no head points at (a write that failed half-way) are removed by cleanupOrphans.
import { createHash, randomUUID } from 'node:crypto';
import { z } from '@assay/config';
import {
  analyzerVersionsKey,
  analyzerVersionsSchema,
  digest,
  nonEmpty,
  ReportImageSchema,
  ScanReportSchema,
  ScanSummarySchema,
  timestamp,
  validate,
  type ScanReport,
} from '@assay/domain';
import { isObject } from '@assay/kit';
import { compressJson, decompressJson, decompressJsonInPlace } from './compressed-json.ts';
import { CorruptDocumentError } from './errors.ts';
import type { Page, PageRequest } from './pagination.ts';
import { defineSchemaVersions, documentCodec } from './schema-versions.ts';

export const DEFAULT_REPORT_CHUNK_BYTES = 8 * 1024 * 1024;
/** Leaves room under MongoDB's 16 MB for the chunk document's other fields. */
export const MAX_REPORT_CHUNK_BYTES = 15 * 1024 * 1024;

const count = z.number().int().min(0);

/** The head of a stored report: what listings return, without the body. */
export const ScanReportMetaSchema = z.strictObject({
  digest,
  reportId: nonEmpty(200),
  image: ReportImageSchema,
  analyzerVersions: analyzerVersionsSchema,
  /** analyzerVersionsKey(analyzerVersions): equal keys mean the same analyzers produced it. */
  analyzerVersionsKey: nonEmpty(100),
  vulnDbVersion: z.string().optional(),
  scannedAt: timestamp,
  storedAt: timestamp,
  summary: ScanSummarySchema.optional(),
  storage: z.strictObject({
    generation: nonEmpty(100),
    chunks: z.number().int().min(1),
    jsonBytes: count,
    compressedBytes: count,
    /** sha256 of the compressed bytes, checked on every read. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export type ScanReportMeta = z.output<typeof ScanReportMetaSchema>;

export interface ScanReportRepository {
  /**
   * Stores the report as the one for its image digest, replacing an earlier one. ValidationError
   * before anything is written; ConflictError when its reportId belongs to another digest.
   */
  put(report: ScanReport): Promise<ScanReportMeta>;
  get(digest: string): Promise<ScanReport | undefined>;
  /**
   * The stored reports of `digests`, by digest (digests without one are left out), read
   * together: for a caller judging many images at once, instead of one `get` (and one round of
   * queries) each. Every report is held in memory: the caller bounds how many it asks for.
   */
  getMany(digests: readonly string[]): Promise<Map<string, ScanReport>>;
  getById(reportId: string): Promise<ScanReport | undefined>;
  /** The head only (no body): cheap; says which analyzer versions produced the report. */
  meta(digest: string): Promise<ScanReportMeta | undefined>;
  delete(digest: string): Promise<boolean>;
  /** Heads by digest. */
  list(page?: PageRequest): Promise<Page<ScanReportMeta>>;
  /**
   * Removes chunks no head points at, written before `olderThan` (younger ones may belong to a
   * write in progress). Returns how many chunks were removed.
   */
  cleanupOrphans(olderThan: Date): Promise<number>;
}

export const REPORTS = 'reports';
export const REPORT_BODIES = 'reportBodies';
export const REPORT_CHUNKS = 'reportChunks';
defineSchemaVersions(REPORTS, 1);
defineSchemaVersions(REPORT_BODIES, 1);
defineSchemaVersions(REPORT_CHUNKS, 1);
export const reportMetaCodec = documentCodec(REPORTS, 'reportMeta', ScanReportMetaSchema);
export const reportBodyCodec = documentCodec(REPORT_BODIES, 'report', ScanReportSchema);

export interface PackedReport {
  /** Stored form of the head (with schemaVersion). */
  head: Record<string, unknown>;
  meta: ScanReportMeta;
  chunks: Buffer[];
}

export function checkChunkBytes(chunkBytes: number): number {
  return validate(z.number().int().min(1024).max(MAX_REPORT_CHUNK_BYTES), chunkBytes, 'options.reportChunkBytes');
}

/** Validates, serialises, compresses and chunks a report under a new generation id. */
export async function packReport(report: unknown, chunkBytes: number, now: Date): Promise<PackedReport> {
  const body = reportBodyCodec.encode(report);
  const { json, compressed } = await compressJson(body);
  const chunks: Buffer[] = [];
  for (let off = 0; off < compressed.length; off += chunkBytes) chunks.push(compressed.subarray(off, off + chunkBytes));
  if (chunks.length === 0) chunks.push(Buffer.alloc(0));
  const meta: ScanReportMeta = {
    digest: body.image.digest,
    reportId: body.reportId,
    image: body.image,
    analyzerVersions: body.analyzerVersions,
    analyzerVersionsKey: analyzerVersionsKey(body.analyzerVersions),
    ...(body.vulnDbVersion !== undefined ? { vulnDbVersion: body.vulnDbVersion } : {}),
    scannedAt: body.scannedAt,
    storedAt: now,
    ...(body.summary !== undefined ? { summary: body.summary } : {}),
    storage: {
      generation: randomUUID(),
      chunks: chunks.length,
      jsonBytes: json.length,
      compressedBytes: compressed.length,
      sha256: createHash('sha256').update(compressed).digest('hex'),
    },
  };
  return { head: reportMetaCodec.encode(meta), meta, chunks };
}

/**
 * Reports of at most this many compressed bytes are inflated on the calling thread when many are
 * read at once (getMany): small ones are most reports, and for them the thread pool's round trip
 * costs more than the inflation. Larger ones (a 100,000-package report is megabytes) go to the pool.
 */
const INFLATE_IN_PLACE_BYTES = 64 * 1024;

/**
 * Reassembles a report from its chunks (in order). Returns undefined when the chunks do not
 * add up to what the head promises, so the caller can re-read the head (a concurrent write may
 * have replaced the generation) before calling the report corrupt. `inPlace`: a small report is
 * inflated on this thread (see INFLATE_IN_PLACE_BYTES); the caller yields to the event loop.
 */
export async function unpackReport(
  meta: ScanReportMeta,
  chunks: readonly Uint8Array[],
  opts: { inPlace?: boolean } = {},
): Promise<ScanReport | undefined> {
  if (chunks.length !== meta.storage.chunks) return undefined;
  const compressed = Buffer.concat(chunks);
  if (compressed.length !== meta.storage.compressedBytes) return undefined;
  if (createHash('sha256').update(compressed).digest('hex') !== meta.storage.sha256) return undefined;
  const what = `report for ${meta.digest}`;
  const parsed =
    opts.inPlace && compressed.length <= INFLATE_IN_PLACE_BYTES
      ? decompressJsonInPlace(compressed, what)
      : await decompressJson(compressed, what);
  if (!isObject(parsed)) throw new CorruptDocumentError(`report for ${meta.digest} is not a JSON object`);
  return reportBodyCodec.decode(parsed, meta.digest);
}
