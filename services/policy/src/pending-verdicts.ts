// Pending verdicts: an image the system knows about (discovered in a watched registry, or asked to
// be scanned) but has not judged yet gets a COMPLIANCE_PENDING verdict at once, so admission applies
// its runtime policy's "not yet scanned" rules (pending.action, blockPending) instead of treating the
// image as unregistered. The verdict of the scan, when it is judged, replaces it (engine.ts writes
// over any previous verdict; a failed scan ends as ERROR).
//
// Written create-only: only where the digest has no verdict at all. A rediscovered or rescanned
// image keeps its last verdict (never moved back to pending), and the index aggregates that
// index-verdicts.ts writes are never overwritten. Idempotent, so a redelivered or replayed event
// (durable consumers, restarts) changes nothing.
//
// The platform manifests of an index event (`assay.image.index`) are marked too: an index the
// scanner expanded from a scan request has no `assay.image.discovered` per platform. The index
// digest itself gets its aggregate verdict from index-verdicts.ts. A pending verdict has no
// reasons, as an index aggregate's pending platform has none, so marking a platform pending never
// changes an aggregate.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { newEventMeta } from '@assay/bus';
import {
  Compliance,
  ImageRefSchema,
  VerdictSchema,
  type ImageDiscovered,
  type ImageRef,
  type ScanRequested,
  type Verdict,
} from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import type { KV } from 'nats';
import { casVerdict } from './verdict-bucket.ts';
import { PRODUCER } from '@assay/policy-engine';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface PendingVerdictsOptions {
  /** The verdicts bucket. */
  verdicts: KV;
  logger: Logger;
  clock?: () => Date;
  /** Publishes a verdict whose outcome changed (verdictChanged, audit). */
  announce: (verdict: Verdict, previous: Verdict | undefined) => Promise<void>;
}

export interface PendingWrite {
  digest: string;
  /** False when the digest already had a verdict (or the image was not usable). */
  written: boolean;
}

type ImageLocation = Pick<ImageRef, 'registry' | 'repository' | 'digest'> & Partial<Pick<ImageRef, 'tag' | 'mediaType'>>;

/** The pending verdict of a known, not yet judged image. */
export function pendingVerdict(image: ImageLocation, now: Date, causationId?: string): Verdict {
  return create(VerdictSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    image: create(ImageRefSchema, {
      registry: image.registry,
      repository: image.repository,
      tag: image.tag ?? '',
      digest: image.digest,
      mediaType: image.mediaType ?? '',
    }),
    compliance: Compliance.PENDING,
    reasons: [],
    evaluatedAt: timestampFromDate(now),
    reportId: '',
  });
}

export class PendingVerdicts {
  readonly #o: PendingVerdictsOptions & { clock: () => Date };

  constructor(o: PendingVerdictsOptions) {
    this.#o = { clock: () => new Date(), ...o };
  }

  /**
   * Writes a pending verdict for `image` unless its digest has a verdict already (create-only,
   * compare-and-set: a verdict written meanwhile by anyone wins).
   */
  async mark(image: ImageLocation, causationId?: string): Promise<PendingWrite> {
    const digest = image.digest;
    if (!DIGEST.test(digest) || image.registry === '' || image.repository === '') {
      this.#o.logger.warn(
        { digest, registry: image.registry, repository: image.repository },
        'image without a digest or location: no pending verdict',
      );
      return { digest, written: false };
    }
    let next: Verdict | undefined;
    const w = await casVerdict(this.#o.verdicts, digest, (prev) => {
      if (prev) return undefined;
      next = pendingVerdict(image, this.#o.clock(), causationId);
      return next;
    });
    if (!w.written || !next) return { digest, written: false };
    await this.#o.announce(next, undefined);
    this.#o.logger.info({ digest, registry: image.registry, repository: image.repository }, 'pending verdict written');
    return { digest, written: true };
  }

  /**
   * `assay.image.discovered`: the image, and, when the event announces an index, its platform
   * manifests (each carries the index's location when it names none).
   */
  async onDiscovered(msg: ImageDiscovered): Promise<PendingWrite[]> {
    const out: PendingWrite[] = [];
    if (msg.image) out.push(await this.mark(msg.image, msg.meta?.id));
    out.push(...(await this.#platforms(msg)));
    return out;
  }

  /** `assay.image.index`: the index's platform manifests (the index digest is index-verdicts.ts's). */
  onIndex(msg: ImageDiscovered): Promise<PendingWrite[]> {
    return this.#platforms(msg);
  }

  /** `assay.scan.requested`: the image asked to be scanned. */
  async onScanRequested(msg: ScanRequested): Promise<PendingWrite> {
    if (!msg.image) {
      this.#o.logger.warn({ eventId: msg.meta?.id }, 'scan request without an image: no pending verdict');
      return { digest: '', written: false };
    }
    return this.mark(msg.image, msg.meta?.id);
  }

  async #platforms(msg: ImageDiscovered): Promise<PendingWrite[]> {
    const parent = msg.image;
    const out: PendingWrite[] = [];
    for (const m of msg.manifests) {
      if (m.digest === '' || m.digest === parent?.digest) continue;
      out.push(
        await this.mark(
          {
            ...m,
            registry: m.registry || parent?.registry || '',
            repository: m.repository || parent?.repository || '',
            tag: m.tag || parent?.tag || '',
          },
          msg.meta?.id,
        ),
      );
    }
    return out;
  }
}
