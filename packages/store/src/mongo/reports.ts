// Scan reports on MongoDB: a head document per digest (`_id` = digest, unique reportId) and
// the compressed body in `reportChunks` documents (< 15 MB each) of one generation.
//
// Write: chunks of a fresh generation first, then the head is switched to it in one
// findAndModify, which also returns the head it replaced, whose chunks are then deleted. A
// reader that finds a generation's chunks incomplete re-reads the head (a writer replaced it
// meanwhile) and tries again. A writer that fails after writing chunks deletes them; if it
// cannot (crash, lost connection), cleanupOrphans removes them later.
import { Binary, type Db, type Document } from 'mongodb';
import { digest, nonEmpty, timestamp, validate, type ScanReport } from '@assay/domain';
import type { KeyedDoc } from './connection.ts';
import { ConflictError, CorruptDocumentError } from '../errors.ts';
import { packReport, REPORT_CHUNKS, reportMetaCodec, unpackReport, type ScanReportMeta, type ScanReportRepository } from '../reports.ts';
import { currentSchemaVersion } from '../schema-versions.ts';
import { isDuplicateKey } from './connection.ts';
import { pageById } from './paging.ts';

const READ_ATTEMPTS = 5;

export function mongoReportRepository(db: Db, now: () => Date, chunkBytes: number): ScanReportRepository {
  const heads = db.collection<KeyedDoc>('reports');
  const chunks = db.collection<Document>(REPORT_CHUNKS);
  const decodeHead = (doc: Document): ScanReportMeta => {
    const { _id, ...stored } = doc;
    return reportMetaCodec.decode(stored, String(_id));
  };
  const dropGeneration = (generation: string) => chunks.deleteMany({ generation });

  async function load(filter: Document, ref: string): Promise<ScanReport | undefined> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const head = await heads.findOne(filter);
      if (!head) return undefined;
      const meta = decodeHead(head);
      const parts = await chunks.find({ generation: meta.storage.generation }).sort({ n: 1 }).toArray();
      const report = await unpackReport(
        meta,
        parts.map((p) => (p.data as Binary).buffer),
      );
      if (report) return report;
      // Incomplete: replaced (and its chunks deleted) since the head was read? Then read again.
      const again = await heads.findOne(filter, { projection: { 'storage.generation': 1 } });
      if ((again?.storage as Document | undefined)?.generation === meta.storage.generation) break;
    }
    throw new CorruptDocumentError(`report ${ref}: its chunks are missing or do not match its head`);
  }

  /** Points the digest's head at a new generation; returns the head it replaced. */
  async function switchHead(d: string, head: Document): Promise<Document | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await heads.findOneAndReplace({ _id: d }, { _id: d, ...head }, { upsert: true, returnDocument: 'before' });
      } catch (err) {
        // Two upserts of a new digest can collide on _id; the loser retries as a plain replace.
        const onId = (err as { keyPattern?: Document }).keyPattern?._id !== undefined;
        if (!isDuplicateKey(err) || !onId || attempt >= 2) throw err;
      }
    }
  }

  return {
    async put(report) {
      const packed = await packReport(report, chunkBytes, now());
      const { generation } = packed.meta.storage;
      const createdAt = now();
      const chunkSchema = currentSchemaVersion(REPORT_CHUNKS);
      let previous: Document | null;
      try {
        await chunks.insertMany(
          packed.chunks.map((data, n) => ({
            schemaVersion: chunkSchema,
            generation,
            digest: packed.meta.digest,
            n,
            data: new Binary(data),
            createdAt,
          })),
          { ordered: true },
        );
        previous = await switchHead(packed.meta.digest, packed.head);
      } catch (err) {
        // The head does not point at this generation: its chunks would be orphans.
        await dropGeneration(generation).catch(() => {});
        if (isDuplicateKey(err)) {
          throw new ConflictError(`report id ${packed.meta.reportId} already belongs to another image digest`, {}, { cause: err });
        }
        throw err;
      }
      // The report is stored; failing to drop the replaced generation only leaves orphans behind.
      const old = (previous?.storage as Document | undefined)?.generation;
      if (typeof old === 'string' && old !== generation) await dropGeneration(old).catch(() => {});
      return packed.meta;
    },
    get(d) {
      validate(digest, d, 'digest');
      return load({ _id: d }, d);
    },
    getById(reportId) {
      validate(nonEmpty(200), reportId, 'reportId');
      return load({ reportId }, reportId);
    },
    async getMany(ds) {
      for (const d of ds) validate(digest, d, 'digest');
      const out = new Map<string, ScanReport>();
      if (ds.length === 0) return out;
      const metas = (await heads.find({ _id: { $in: [...ds] } }).toArray()).map(decodeHead);
      const parts = await chunks
        .find({ generation: { $in: metas.map((m) => m.storage.generation) } })
        .sort({ generation: 1, n: 1 })
        .toArray();
      const byGeneration = new Map<string, Uint8Array[]>();
      for (const p of parts) {
        const g = String(p.generation);
        let list = byGeneration.get(g);
        if (!list) byGeneration.set(g, (list = []));
        list.push((p.data as Binary).buffer);
      }
      for (const meta of metas) {
        // Incomplete: replaced since its head was read. Read on its own, as `get` does (it retries).
        const report =
          (await unpackReport(meta, byGeneration.get(meta.storage.generation) ?? [], { inPlace: true })) ??
          (await load({ _id: meta.digest }, meta.digest));
        if (report) out.set(meta.digest, report);
      }
      return out;
    },
    async meta(d) {
      validate(digest, d, 'digest');
      const head = await heads.findOne({ _id: d });
      return head ? decodeHead(head) : undefined;
    },
    async delete(d) {
      validate(digest, d, 'digest');
      const head = await heads.findOneAndDelete({ _id: d });
      if (!head) return false;
      const gen = (head.storage as Document | undefined)?.generation;
      if (typeof gen === 'string') await dropGeneration(gen);
      return true;
    },
    list(page) {
      return pageById(heads, {}, 'reports', page, decodeHead);
    },
    async cleanupOrphans(olderThan) {
      validate(timestamp, olderThan, 'olderThan');
      const generations = (await chunks.distinct('generation', { createdAt: { $lt: olderThan } })) as string[];
      if (generations.length === 0) return 0;
      const live = new Set(
        (await heads.find({ 'storage.generation': { $in: generations } }, { projection: { 'storage.generation': 1 } }).toArray()).map(
          (h) => (h.storage as Document).generation as string,
        ),
      );
      const orphans = generations.filter((g) => !live.has(g));
      if (orphans.length === 0) return 0;
      return (await chunks.deleteMany({ generation: { $in: orphans }, createdAt: { $lt: olderThan } })).deletedCount;
    },
  };
}
