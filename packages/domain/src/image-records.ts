// Image records: every manifest digest the registry-watcher has seen, where (registry,
// repository, tags, with first and last sighting), and how far its scan got. Keyed by digest;
// the same digest pushed to two repositories is one image with two locations.
import { z } from 'zod';
import { digest, nonEmpty, platform, timestamp } from './fields.ts';

export const SCAN_STATUSES = ['pending', 'scanning', 'succeeded', 'failed'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

const registry = nonEmpty(300);
const repository = nonEmpty(500);

export const ImageRecordSchema = z.strictObject({
  digest,
  /** Where the digest was first seen (kept for display; `locations` has them all). */
  registry,
  repository,
  mediaType: nonEmpty(200).optional(),
  platform: platform.optional(),
  locations: z.array(z.strictObject({ registry, repository, firstSeen: timestamp, lastSeen: timestamp })),
  tags: z.array(z.strictObject({ registry, repository, tag: nonEmpty(200), firstSeen: timestamp, lastSeen: timestamp })),
  firstSeen: timestamp,
  lastSeen: timestamp,
  scanStatus: z.enum(SCAN_STATUSES),
  /** Time of the event that set scanStatus: older events are ignored (delivery is at-least-once). */
  scanStatusAt: timestamp.optional(),
  /** When a scan last finished (succeeded or failed). */
  lastScanned: timestamp.optional(),
  reportId: nonEmpty(200).optional(),
  scanError: z.string().max(4000).optional(),
});
export type ImageRecord = z.output<typeof ImageRecordSchema>;

export const SeenRefSchema = z.strictObject({
  registry,
  repository,
  digest,
  tag: nonEmpty(200).optional(),
  mediaType: nonEmpty(200).optional(),
  platform: platform.optional(),
});
export type SeenRef = z.output<typeof SeenRefSchema>;
