// Signatures, attestations and referrers pushed to a watched registry are not images: they are
// about one (their subject). When one arrives (a cosign `sha256-<hex>.sig` / `.att` tag, the
// OCI referrers fallback tag `sha256-<hex>`, or a manifest whose `subject` names a digest) the
// watcher announces nothing and instead asks the scanner to verify the SUBJECT's trust again:
// a ScanRequested for the subject digest with reason TRUST_REFRESH_REASON.
//
// Once per artifact manifest digest: it is recorded in the watcher-seen bucket (kind 'trust')
// after the request is published, so polls and repeated notifications cost a bucket read; a new
// signature changes the `.sig` manifest's digest and asks again. The event id is derived from
// subject and artifact, so replicas racing publish it once.
import { create } from '@bufbuild/protobuf';
import type { JetStreamClient, KV } from 'nats';
import { derivedEventId, newEventMeta, publishEvent } from '@assay/bus';
import { ImageRefSchema, ScanRequestedSchema, Streams, Topics, TRUST_REFRESH_REASON } from '@assay/proto';
import type { RegistrySpec } from '@assay/registry-client';
import type { Logger } from '@assay/telemetry';
import { seenKey } from './keys.ts';
import type { RegistryAccess } from './registry-access.ts';

export interface TrustRefreshOptions {
  js: JetStreamClient;
  seenKv: KV;
  access(registry: string): RegistryAccess;
  producer: string;
  instance: string;
}

/** Where the artifact was pushed, and what it is. */
export interface TrustArtifact {
  registry: RegistrySpec;
  repository: string;
  /** The artifact's own manifest digest (the `.sig` manifest, the referrer, the fallback index). */
  artifact: string;
  /** The digest it is about. */
  subject: string;
  /** How it was recognised, for logs: `cosign-signature`, `referrer`, … */
  how: string;
}

const enc = new TextEncoder();

/** Event id of the trust refresh of `subject` caused by `artifact`. */
export function trustRefreshEventId(subject: string, artifact: string): string {
  return derivedEventId(`${Topics.scanRequested.subject}\0${TRUST_REFRESH_REASON}\0${subject}\0${artifact}`);
}

export class TrustRefresh {
  readonly #o: TrustRefreshOptions;

  constructor(opts: TrustRefreshOptions) {
    this.#o = opts;
  }

  /** Asks for `a.subject`'s trust to be verified again (once per artifact digest); true when this call asked. */
  async request(a: TrustArtifact, log: Logger): Promise<boolean> {
    const key = seenKey(a.artifact);
    const seen = await this.#o.seenKv.get(key);
    if (seen && seen.operation === 'PUT') return false;
    // The subject's media type tells the scanner whether it is an index; absent, the artifact
    // is about a manifest this repository does not hold (yet): asked again on the next sighting.
    const head = await this.#o.access(a.registry.name).head(a.repository, a.subject);
    if (!head) {
      log.info(
        { artifact: a.artifact, subject: a.subject, how: a.how },
        'signature or referrer for a manifest the repository does not hold; ignored',
      );
      return false;
    }
    const id = trustRefreshEventId(a.subject, a.artifact);
    const event = create(ScanRequestedSchema, {
      meta: { ...newEventMeta(this.#o.producer), id },
      image: create(ImageRefSchema, {
        registry: a.registry.host,
        repository: a.repository,
        tag: '',
        digest: a.subject,
        mediaType: head.mediaType,
      }),
      reason: TRUST_REFRESH_REASON,
      force: false,
      requestedBy: this.#o.producer,
    });
    const ack = await publishEvent(this.#o.js, Topics.scanRequested, event, { msgId: id, expectStream: Streams.scans.name });
    const record = { state: 'announced', by: this.#o.instance, at: new Date().toISOString(), kind: 'trust', subject: a.subject };
    await this.#o.seenKv.put(key, enc.encode(JSON.stringify(record)));
    log.info({ artifact: a.artifact, subject: a.subject, how: a.how, eventId: id, duplicate: ack.duplicate }, 'trust refresh requested');
    return !ack.duplicate;
  }
}
