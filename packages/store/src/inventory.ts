// The image inventory repository: image records (see @assay/domain) by digest, the rules a
// sighting or a scan status applies to a record (shared by both adapters), and the stored form.
import { z } from '@assay/config';
import {
  digest,
  ImageRecordSchema,
  nonEmpty,
  SCAN_STATUSES,
  SeenRefSchema,
  timestamp,
  validate,
  type ImageRecord,
  type ScanStatus,
  type SeenRef,
} from '@assay/domain';
import { NotFoundError } from './errors.ts';
import type { Page, PageRequest } from './pagination.ts';
import { defineSchemaVersions, documentCodec, type StoredDoc } from './schema-versions.ts';

const registry = nonEmpty(300);
const repository = nonEmpty(500);

export const InventoryFilterSchema = z
  .strictObject({
    registry: registry.optional(),
    repository: repository.optional(),
    scanStatus: z.enum(SCAN_STATUSES).optional(),
  })
  .refine((f) => f.repository === undefined || f.registry !== undefined, {
    error: 'a repository filter needs its registry',
    path: ['repository'],
  });
export type InventoryFilter = z.output<typeof InventoryFilterSchema>;

export interface ScanStatusDetails {
  reportId?: string;
  error?: string;
}

export interface InventoryRepository {
  /** Records a sighting of `ref` at `at` (creating the image, adding or refreshing the location and tag). */
  upsertSeen(ref: SeenRef, at: Date): Promise<ImageRecord>;
  /** Sets the scan status unless a later status is already recorded; NotFoundError for an unknown digest. */
  setScanStatus(digest: string, status: ScanStatus, at: Date, details?: ScanStatusDetails): Promise<ImageRecord>;
  get(digest: string): Promise<ImageRecord | undefined>;
  /** Images seen in a repository, by digest. */
  findByRepository(registry: string, repository: string, page?: PageRequest): Promise<Page<ImageRecord>>;
  /** Images matching the filter, by digest. */
  list(filter?: InventoryFilter, page?: PageRequest): Promise<Page<ImageRecord>>;
  delete(digest: string): Promise<boolean>;
}

// ── stored form and upgrades ──────────────────────────────────────────────────────────

export const INVENTORY = 'inventory';

/**
 * Inventory v1 (the prototype watcher) kept `tags` as a list of tag names for the record's one
 * registry/repository, with no per-tag times and no locations. v2 gives each tag its location
 * and times (the image's first/last sighting, the best that is known) and adds `locations`.
 */
function inventoryV1toV2(doc: StoredDoc): StoredDoc {
  const { tags, ...rest } = doc;
  const firstSeen = doc.firstSeen;
  const lastSeen = doc.lastSeen ?? doc.firstSeen;
  const where = { registry: doc.registry, repository: doc.repository };
  return {
    ...rest,
    lastSeen,
    locations: [{ ...where, firstSeen, lastSeen }],
    tags: (Array.isArray(tags) ? tags : []).map((tag) => ({ ...where, tag, firstSeen, lastSeen })),
  };
}

defineSchemaVersions(INVENTORY, 2, { 1: inventoryV1toV2 });
export const imageCodec = documentCodec(INVENTORY, 'image', ImageRecordSchema);

const min = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);
const max = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);

export function checkSeen(ref: SeenRef, at: Date): SeenRef {
  validate(timestamp, at, 'at');
  return validate(SeenRefSchema, ref, 'ref');
}

/**
 * The record after a sighting, or undefined when it changes nothing (a redelivered event).
 * Pure, so both adapters apply the same rules inside their read-modify-write.
 */
export function applySeen(existing: ImageRecord | undefined, ref: SeenRef, at: Date): ImageRecord | undefined {
  if (!existing) {
    return {
      digest: ref.digest,
      registry: ref.registry,
      repository: ref.repository,
      ...(ref.mediaType !== undefined ? { mediaType: ref.mediaType } : {}),
      ...(ref.platform !== undefined ? { platform: ref.platform } : {}),
      locations: [{ registry: ref.registry, repository: ref.repository, firstSeen: at, lastSeen: at }],
      tags:
        ref.tag === undefined ? [] : [{ registry: ref.registry, repository: ref.repository, tag: ref.tag, firstSeen: at, lastSeen: at }],
      firstSeen: at,
      lastSeen: at,
      scanStatus: 'pending',
    };
  }
  let changed = false;
  const widen = <E extends { firstSeen: Date; lastSeen: Date }>(e: E): E => {
    const firstSeen = min(e.firstSeen, at);
    const lastSeen = max(e.lastSeen, at);
    if (firstSeen === e.firstSeen && lastSeen === e.lastSeen) return e;
    changed = true;
    return { ...e, firstSeen, lastSeen };
  };
  const same = (e: { registry: string; repository: string }) => e.registry === ref.registry && e.repository === ref.repository;

  const next: ImageRecord = { ...widen(existing) };
  next.locations = existing.locations.map((l) => (same(l) ? widen(l) : l));
  if (!existing.locations.some(same)) {
    next.locations.push({ registry: ref.registry, repository: ref.repository, firstSeen: at, lastSeen: at });
    changed = true;
  }
  if (ref.tag !== undefined) {
    const isTag = (t: ImageRecord['tags'][number]) => same(t) && t.tag === ref.tag;
    next.tags = existing.tags.map((t) => (isTag(t) ? widen(t) : t));
    if (!existing.tags.some(isTag)) {
      next.tags.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag, firstSeen: at, lastSeen: at });
      changed = true;
    }
  }
  if (next.mediaType === undefined && ref.mediaType !== undefined) {
    next.mediaType = ref.mediaType;
    changed = true;
  }
  if (next.platform === undefined && ref.platform !== undefined) {
    next.platform = ref.platform;
    changed = true;
  }
  return changed ? next : undefined;
}

export function checkScanStatus(digestValue: string, status: ScanStatus, at: Date, details: ScanStatusDetails): void {
  validate(digest, digestValue, 'digest');
  validate(z.enum(SCAN_STATUSES), status, 'status');
  validate(timestamp, at, 'at');
  validate(z.strictObject({ reportId: nonEmpty(200).optional(), error: z.string().max(4000).optional() }), details, 'details');
}

/** The record after a status change, or undefined when a later status is already recorded. */
export function applyScanStatus(existing: ImageRecord, status: ScanStatus, at: Date, details: ScanStatusDetails): ImageRecord | undefined {
  if (existing.scanStatusAt !== undefined && existing.scanStatusAt.getTime() > at.getTime()) return undefined;
  const { scanError: _e, ...next }: ImageRecord = { ...existing, scanStatus: status, scanStatusAt: at };
  const out: ImageRecord = next;
  if (status === 'succeeded' || status === 'failed') out.lastScanned = at;
  if (details.reportId !== undefined) out.reportId = details.reportId;
  if (status === 'failed') out.scanError = details.error ?? 'scan failed';
  return out;
}

export function checkFilter(filter: InventoryFilter | undefined): InventoryFilter {
  return validate(InventoryFilterSchema, filter ?? {}, 'filter');
}

/**
 * How an adapter changes one record atomically (a transaction, or a compare-and-swap loop):
 * `change` gets the record as stored and returns the next one, or undefined for "nothing to do".
 */
export type ModifyRecord = (
  digest: string,
  change: (existing: ImageRecord | undefined) => ImageRecord | undefined,
) => ImageRecord | Promise<ImageRecord>;

/** The inventory's writes: the same rules over either adapter's read-modify-write. */
export function inventoryWrites(modify: ModifyRecord): Pick<InventoryRepository, 'upsertSeen' | 'setScanStatus'> {
  return {
    async upsertSeen(ref, at) {
      const r = checkSeen(ref, at);
      return modify(r.digest, (existing) => applySeen(existing, r, at));
    },
    async setScanStatus(d, status, at, details = {}) {
      checkScanStatus(d, status, at, details);
      return modify(d, (existing) => {
        if (!existing) throw new NotFoundError(`image ${d} is not in the inventory`);
        return applyScanStatus(existing, status, at, details);
      });
    },
  };
}
