// Keys and ids registry-watcher writes. The key spelling itself is a bus contract
// (@assay/proto bucket-keys), shared with admission, which reads the tags bucket.
import { derivedEventId } from '@assay/bus';
import { formatReference, type ImageReference } from '@assay/image-ref';
import { decodeBucketKey, digestBucketKey, tagBucketKey, Topics } from '@assay/proto';

/** Key of `registry/repository:tag` in the tags bucket (its value: the manifest or index digest). */
export function tagKey(ref: Pick<ImageReference, 'registry' | 'repository'> & { tag: string }): string {
  return tagBucketKey(formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag }));
}

/** The reference `registry/repository:tag` a tags-bucket key stands for. */
export function referenceOfTagKey(key: string): string {
  return decodeBucketKey(key);
}

/** Key of a digest in the watcherSeen bucket: `sha256.<hex>` (as the verdicts bucket keys digests). */
export function seenKey(digest: string): string {
  return digestBucketKey(digest);
}

/**
 * Event id (and so `Nats-Msg-Id`, and the audit `_id`) of the ImageDiscovered event for
 * `digest`: derived from the digest alone, so every replica publishing the same discovery
 * produces the same id and JetStream stores it once. UUID-shaped (v5 layout over SHA-256).
 */
export function discoveryEventId(digest: string): string {
  return derivedEventId(`${Topics.imageDiscovered.subject}\0${digest}`);
}

/** Event id of the `assay.image.index` event of an index digest (the scanner derives the same). */
export function indexEventId(digest: string): string {
  return derivedEventId(`${Topics.indexDiscovered.subject}\0${digest}`);
}
