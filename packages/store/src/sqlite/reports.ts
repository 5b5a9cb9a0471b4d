// Scan reports on SQLite: the same head + generation chunks as on MongoDB, but switched in
// one transaction (chunks, head and the removal of the replaced generation commit together),
// and read in one snapshot, so there are never orphans or torn reads here.
import { setImmediate } from 'node:timers/promises';
import { digest, nonEmpty, timestamp, validate, type ScanReport } from '@assay/domain';
import { ConflictError, CorruptDocumentError } from '../errors.ts';
import { decodeCursor, makePage, pageLimit } from '../pagination.ts';
import { packReport, reportMetaCodec, unpackReport, type ScanReportMeta, type ScanReportRepository } from '../reports.ts';
import { fromJson, isConstraintError, toJson, type SqliteHandle } from './database.ts';

interface HeadRow {
  digest: string;
  generation: string;
  head: string;
}

export function sqliteReportRepository(h: SqliteHandle, now: () => Date, chunkBytes: number): ScanReportRepository {
  const headBy = {
    digest: h.db.prepare('SELECT digest, generation, head FROM reports WHERE digest = ?'),
    reportId: h.db.prepare('SELECT digest, generation, head FROM reports WHERE report_id = ?'),
  };
  const chunksOf = h.db.prepare('SELECT data FROM report_chunks WHERE generation = ? ORDER BY n');
  // Heads and chunks of many digests in one statement (a head without chunks still comes back,
  // with a null chunk, so it reads as corrupt rather than absent).
  const manyBy = h.db.prepare(
    `SELECT r.digest AS digest, r.generation AS generation, r.head AS head, c.data AS data
     FROM reports r LEFT JOIN report_chunks c ON c.generation = r.generation
     WHERE r.digest IN (SELECT value FROM json_each(?))
     ORDER BY r.digest, c.n`,
  );
  const insertChunk = h.db.prepare('INSERT INTO report_chunks (generation, n, data, created_at) VALUES (?, ?, ?, ?)');
  const upsertHead = h.db.prepare(
    `INSERT INTO reports (digest, report_id, generation, head) VALUES (?, ?, ?, ?)
     ON CONFLICT (digest) DO UPDATE SET report_id = excluded.report_id, generation = excluded.generation, head = excluded.head`,
  );
  const dropGeneration = h.db.prepare('DELETE FROM report_chunks WHERE generation = ?');
  const dropHead = h.db.prepare('DELETE FROM reports WHERE digest = ?');
  const page = h.db.prepare('SELECT digest, generation, head FROM reports WHERE digest > ? ORDER BY digest LIMIT ?');
  const orphans = h.db.prepare(`DELETE FROM report_chunks WHERE created_at < ? AND generation NOT IN (SELECT generation FROM reports)`);

  const decodeHead = (r: HeadRow): ScanReportMeta => reportMetaCodec.decode(fromJson(r.head, r.digest), r.digest);

  async function load(by: 'digest' | 'reportId', key: string): Promise<ScanReport | undefined> {
    const snapshot = h.read(() => {
      const head = headBy[by].get(key) as HeadRow | undefined;
      if (!head) return undefined;
      const parts = (chunksOf.all(head.generation) as { data: Uint8Array }[]).map((c) => c.data);
      return { head, parts };
    });
    if (!snapshot) return undefined;
    return unpack(snapshot.head, snapshot.parts, key);
  }

  async function unpack(head: HeadRow, parts: Uint8Array[], key: string, inPlace = false): Promise<ScanReport> {
    const report = await unpackReport(decodeHead(head), parts, { inPlace });
    if (!report) throw new CorruptDocumentError(`report ${key}: its chunks are missing or do not match its head`);
    return report;
  }

  async function loadMany(digests: readonly string[]): Promise<Map<string, ScanReport>> {
    const out = new Map<string, ScanReport>();
    if (digests.length === 0) return out;
    const rows = h.read(() => manyBy.all(JSON.stringify(digests))) as unknown as (HeadRow & { data: Uint8Array | null })[];
    for (let i = 0; i < rows.length;) {
      const head = rows[i]!;
      const parts: Uint8Array[] = [];
      for (; i < rows.length && rows[i]!.digest === head.digest; i++) if (rows[i]!.data !== null) parts.push(rows[i]!.data!);
      out.set(head.digest, await unpack(head, parts, head.digest, true));
    }
    // Reading and inflating here is all on this thread: give pending I/O its turn before a
    // caller reading batch after batch asks for the next one.
    await setImmediate();
    return out;
  }

  return {
    async put(report) {
      const packed = await packReport(report, chunkBytes, now());
      const { meta } = packed;
      const createdAt = now().getTime();
      try {
        h.write(() => {
          const previous = headBy.digest.get(meta.digest) as HeadRow | undefined;
          packed.chunks.forEach((data, n) => insertChunk.run(meta.storage.generation, n, data, createdAt));
          upsertHead.run(meta.digest, meta.reportId, meta.storage.generation, toJson(packed.head));
          if (previous) dropGeneration.run(previous.generation);
        });
      } catch (err) {
        if (isConstraintError(err)) {
          throw new ConflictError(`report id ${meta.reportId} already belongs to another image digest`, {}, { cause: err });
        }
        throw err;
      }
      return meta;
    },
    get(d) {
      validate(digest, d, 'digest');
      return load('digest', d);
    },
    getById(reportId) {
      validate(nonEmpty(200), reportId, 'reportId');
      return load('reportId', reportId);
    },
    getMany(digests) {
      for (const d of digests) validate(digest, d, 'digest');
      return loadMany(digests);
    },
    async meta(d) {
      validate(digest, d, 'digest');
      const r = headBy.digest.get(d) as HeadRow | undefined;
      return r ? decodeHead(r) : undefined;
    },
    async delete(d) {
      validate(digest, d, 'digest');
      return h.write(() => {
        const r = headBy.digest.get(d) as HeadRow | undefined;
        if (!r) return false;
        dropHead.run(d);
        dropGeneration.run(r.generation);
        return true;
      });
    },
    async list(req) {
      const limit = pageLimit(req);
      const after = decodeCursor('reports', req);
      const rows = page.all(after ? String(after[0]) : '', limit + 1) as unknown as HeadRow[];
      return makePage('reports', rows, limit, (r) => [r.digest], decodeHead);
    },
    async cleanupOrphans(olderThan) {
      validate(timestamp, olderThan, 'olderThan');
      return Number(h.write(() => orphans.run(olderThan.getTime()).changes));
    },
  };
}
