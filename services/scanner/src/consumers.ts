// Where scan jobs come from, and how an index becomes scans of its platforms. Two durable
// consumers feed the jobs: ImageDiscovered (the watcher; an index arrives with its platform
// manifests, a running digest with its pod's pull secret references) and ScanRequested (by
// digest: an index is found out only by reading its manifest, then fanned out the same way).
import { create } from '@bufbuild/protobuf';
import { consumeDurable, type BusConnection, type ConsumerHandle } from '@assay/bus';
import { Consumers, ImageDiscoveredSchema, type ImageRef, ImageRefSchema, ScanRequestedSchema, TRUST_REFRESH_REASON } from '@assay/proto';
import type { PlatformManifest, ScanTarget } from '@assay/scan-engine';
import type { Logger } from '@assay/telemetry';
import { PRODUCER } from './events.ts';
import type { ScanOutcome, ScanRequestOptions, Scans } from './outcome.ts';
import { imageOf } from './report-store.ts';
import type { ScanPublisher } from './publisher.ts';

export interface ScanConsumersOptions {
  bus: BusConnection;
  scans: Scans;
  publisher: ScanPublisher;
  concurrency: number;
  maxDeliveries: number;
  backoffMs: readonly number[];
  logger: Logger;
}

/** A bus ImageRef as a scan target; an event naming no image is refused (dead-lettered). */
export function targetOf(image: ImageRef | undefined): ScanTarget {
  if (!image || !image.digest || !image.registry || !image.repository)
    throw new Error('the event names no image (registry, repository, digest)');
  const p = image.platform;
  const platform =
    p?.os && p.architecture ? { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) } : undefined;
  // imageOf leaves out what the message leaves empty (proto strings are '' when unset).
  return imageOf({
    registry: image.registry,
    repository: image.repository,
    digest: image.digest,
    tag: image.tag,
    mediaType: image.mediaType,
    ...(platform ? { platform } : {}),
  });
}

/**
 * An index found by a scan: its platforms announced (so policy can give the index digest an
 * aggregate verdict) and each scanned as an image of the same repository. The outcome is the
 * first failed platform's, else the first's; undefined when the index has no runnable platform.
 */
export async function fanOutIndex(
  scans: Scans,
  publisher: ScanPublisher,
  index: ScanTarget,
  manifests: readonly PlatformManifest[],
  opts: ScanRequestOptions,
): Promise<ScanOutcome | undefined> {
  await publisher.index(index, manifests, opts.causationId);
  const outcomes = await Promise.all(
    manifests.map((m) =>
      scans.scan(
        {
          registry: index.registry,
          repository: index.repository,
          digest: m.digest,
          mediaType: m.mediaType,
          ...(m.platform ? { platform: m.platform } : {}),
          index: index.digest,
        },
        opts,
      ),
    ),
  );
  return outcomes.find((o) => o.status === 'failed') ?? outcomes[0];
}

/** Starts both consumers; each delivery is one scan job (an index: one per platform). */
export async function startScanConsumers(o: ScanConsumersOptions): Promise<ConsumerHandle[]> {
  const { bus, scans, publisher } = o;
  const common = {
    js: bus.js,
    connection: bus,
    concurrency: o.concurrency,
    maxDeliveries: o.maxDeliveries,
    backoffMs: o.backoffMs,
    logger: o.logger.child({ component: 'consumer' }),
    deadLetter: { producer: PRODUCER },
  };
  const discovered = await consumeDurable({
    ...common,
    consumer: Consumers.scannerDiscovered,
    schema: ImageDiscoveredSchema,
    handler: async (msg, d) => {
      const causationId = msg.meta?.id;
      const pullSecrets = msg.pullSecrets.filter((r) => r.namespace && r.name).map((r) => ({ namespace: r.namespace, name: r.name }));
      const opts: ScanRequestOptions = {
        lastAttempt: d.deliveryCount >= o.maxDeliveries,
        ...(causationId ? { causationId } : {}),
        ...(pullSecrets.length > 0 ? { pullSecrets } : {}),
      };
      const children = msg.manifests.filter((m) => m.digest);
      if (children.length === 0) {
        await scans.scan(targetOf(msg.image), opts);
        return;
      }
      // An index: its platform manifests are the images (each carries the index's location).
      if (msg.image?.digest && msg.image.registry && msg.image.repository) {
        await publisher.index(
          targetOf(msg.image),
          children.map((m) => ({ digest: m.digest, mediaType: m.mediaType, ...(m.platform ? { platform: m.platform } : {}) })),
          causationId,
        );
      }
      const at = (m: ImageRef) =>
        create(ImageRefSchema, {
          ...m,
          registry: m.registry || msg.image?.registry || '',
          repository: m.repository || msg.image?.repository || '',
        });
      const index = msg.image?.digest || undefined;
      await Promise.all(children.map((m) => scans.scan({ ...targetOf(at(m)), ...(index ? { index } : {}) }, opts)));
    },
  });
  const requested = await consumeDurable({
    ...common,
    consumer: Consumers.scannerRequests,
    schema: ScanRequestedSchema,
    handler: async (msg, d) => {
      const causationId = msg.meta?.id;
      await scans.scan(targetOf(msg.image), {
        force: msg.force,
        refreshTrust: msg.reason === TRUST_REFRESH_REASON,
        lastAttempt: d.deliveryCount >= o.maxDeliveries,
        ...(causationId ? { causationId } : {}),
      });
    },
  });
  return [discovered, requested];
}
