// Discovery: from "this registry has repository:tag at digest" to the bus. For each
// (reference, digest) it
//   1. keeps the tags bucket current (reference → digest; a moved tag follows its new digest),
//   2. announces every manifest digest never announced before: an image manifest as one
//      ImageDiscovered, an index as one ImageDiscovered per platform manifest (image.platform
//      set, `manifests` empty) and then the index itself on `assay.image.index` (`manifests`:
//      its platforms, so policy can give the index digest an aggregate verdict); the index
//      digest stays in the tags bucket and is marked seen with its platform manifests,
//   3. never announces a digest twice, across restarts and replicas: a digest is claimed with a
//      create-if-absent in the watcher-seen bucket before it is published, and the event id
//      (Nats-Msg-Id) is derived from the digest, so two replicas racing publish it once.
// Deleted manifests and tags are removed from the tags bucket. Signatures, attestations and
// referrers (cosign tags, the referrers fallback tag, manifests with a `subject`) are never
// announced as images: they ask for their subject's trust to be verified again (trust-refresh.ts).
import { create } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import { newEventMeta, publishEvent, type KvMirror } from '@assay/bus';
import { formatReference } from '@assay/image-ref';
import { artifactTagSubject, isIndexMediaType, RegistryError } from '@assay/registry-client';
import { DiscoverySource, ImageDiscoveredSchema, ImageRefSchema, PlatformSchema, SecretRefSchema, Streams, Topics } from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import { discoveryEventId, indexEventId, referenceOfTagKey, seenKey, tagKey } from './keys.ts';
import type { RegistryAccess, RunnableManifest } from './registry-access.ts';
import type { RegistrySpec } from '@assay/registry-client';
import { TrustRefresh } from './trust-refresh.ts';

export { DiscoverySource };

export interface DiscoveryTarget {
  registry: RegistrySpec;
  repository: string;
  /** The tag it was pushed or listed under; absent for a push by digest. */
  tag?: string;
  /** Known from a notification; looked up (HEAD) when absent. */
  digest?: string;
  mediaType?: string;
  source: DiscoverySource;
}

export interface DiscoveryOutcome {
  /** Digest the reference resolved to (undefined: the tag no longer exists). */
  digest: string | undefined;
  tagUpdated: boolean;
  /** Manifest digests announced by this call. */
  announced: string[];
  /** Set when the reference is a signature, attestation or referrer: the digest it is about. */
  trustSubject?: string;
}

/** What the seen bucket holds per digest (JSON). */
export interface SeenRecord {
  state: 'claimed' | 'announced';
  /** Instance that claimed or announced it. */
  by: string;
  at: string;
  reference?: string;
  kind?: 'image' | 'index' | 'trust';
  /** For a signature, attestation or referrer (kind 'trust'): the digest it is about. */
  subject?: string;
  /** For an index: its platform manifests. */
  manifests?: { digest: string; mediaType: string; platform?: string }[];
}

export interface DiscoveryCounters {
  discovered(source: DiscoverySource, registry: string): void;
  tagUpdated(registry: string): void;
  tagRemoved(registry: string): void;
}

export interface DiscoveryOptions {
  js: import('nats').JetStreamClient;
  tagsKv: KV;
  seenKv: KV;
  /** In-memory copy of the tags bucket: finds the tags of a deleted digest. */
  tags: KvMirror<string>;
  access(registry: string): RegistryAccess;
  producer: string;
  instance: string;
  logger: Logger;
  counters: DiscoveryCounters;
  /** A claim older than this is taken over (its holder is presumed dead). */
  claimTtlMs?: number;
}

/** Where an announced manifest is: a watched registry's target, or a digest running in the cluster. */
interface AnnounceAt {
  /** `host` is the ImageRef's registry; `name` labels the counter. */
  registry: Pick<RegistrySpec, 'host' | 'name'>;
  repository: string;
  tag?: string;
  source: DiscoverySource;
  /** A cluster digest: the pull secrets of a pod running it, by reference. */
  pullSecrets?: readonly { namespace: string; name: string }[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

type PlatformManifest = RunnableManifest;

function sourceName(s: DiscoverySource): string {
  return DiscoverySource[s] ?? String(s);
}

export class Discovery {
  readonly #o: DiscoveryOptions;
  readonly #claimTtlMs: number;
  /** Digests being announced by this process, so two work items for one digest do not race. */
  readonly #inFlight = new Map<string, Promise<boolean>>();
  readonly #trust: TrustRefresh;

  constructor(opts: DiscoveryOptions) {
    this.#o = opts;
    this.#claimTtlMs = opts.claimTtlMs ?? 60_000;
    this.#trust = new TrustRefresh(opts);
  }

  /**
   * A manifest pushed by digest only: a referrer (its `subject` names a digest) asks for that
   * digest's trust to be verified again; anything else (an index's platform manifest pushed
   * ahead of its index) is left to the index's own announcement.
   */
  async inspect(t: DiscoveryTarget & { digest: string }): Promise<DiscoveryOutcome> {
    const seen = await this.#seen(t.digest);
    if (seen?.state === 'announced') return { digest: t.digest, tagUpdated: false, announced: [] };
    const subject = await this.#o.access(t.registry.name).subjectOf(t.repository, t.digest);
    if (subject === undefined) return { digest: t.digest, tagUpdated: false, announced: [] };
    const log = this.#o.logger.child({ registry: t.registry.name, repository: t.repository, digest: t.digest });
    await this.#trust.request({ registry: t.registry, repository: t.repository, artifact: t.digest, subject, how: 'referrer' }, log);
    return { digest: t.digest, tagUpdated: false, announced: [], trustSubject: subject };
  }

  async discover(t: DiscoveryTarget): Promise<DiscoveryOutcome> {
    const access = this.#o.access(t.registry.name);
    let digest = t.digest;
    let mediaType = t.mediaType;
    if (digest === undefined) {
      if (t.tag === undefined) throw new Error('discover: neither a tag nor a digest');
      const head = await access.head(t.repository, t.tag);
      if (!head) return { digest: undefined, tagUpdated: false, announced: [] };
      digest = head.digest;
      mediaType = head.mediaType;
    }
    const log = this.#o.logger.child({ registry: t.registry.name, repository: t.repository, tag: t.tag, digest });
    // cosign's `.sig` / `.att` tags and the referrers fallback tag are about another digest.
    const named = t.tag !== undefined ? artifactTagSubject(t.tag) : undefined;
    if (named) {
      if (named.kind !== 'sbom') {
        // Distribution sends a manifest push's event before it writes the tag, and the scanner
        // finds cosign artifacts by their tags: a refresh asked for now could look before the
        // tag exists, find nothing, and never be asked again. So the tag must answer first;
        // until it does this is a not-found the work queue asks again about.
        if (t.digest !== undefined && !(await access.head(t.repository, t.tag!))) {
          throw new RegistryError(`tag ${t.tag} is not written yet`, { registry: t.registry.name, repository: t.repository, status: 404 });
        }
        const how = named.kind === 'referrers' ? 'referrers-fallback-tag' : `cosign-${named.kind}`;
        await this.#trust.request({ registry: t.registry, repository: t.repository, artifact: digest, subject: named.subject, how }, log);
      }
      return { digest, tagUpdated: false, announced: [], trustSubject: named.subject };
    }
    let tagUpdated = false;
    if (t.tag !== undefined) tagUpdated = await this.#updateTag(t.registry, t.repository, t.tag, digest, log);

    const announced: string[] = [];
    const seen = await this.#seen(digest);
    if (seen?.state === 'announced') return { digest, tagUpdated, announced };

    const manifest = await access.expand(t.repository, digest);
    // A tagged referrer (an artifact about another digest) is no image either.
    if (manifest.subject !== undefined) {
      const a = { registry: t.registry, repository: t.repository, artifact: digest, subject: manifest.subject, how: 'referrer' };
      await this.#trust.request(a, log);
      return { digest, tagUpdated, announced, trustSubject: manifest.subject };
    }
    // An artifact that is no image (a Helm chart, Assay's own vulnerability database) is not scanned.
    if (manifest.artifactType !== undefined) {
      log.info({ artifactType: manifest.artifactType }, 'not an image (an OCI artifact): not announced');
      return { digest, tagUpdated, announced };
    }
    mediaType = manifest.mediaType || mediaType;
    const reference = formatReference({
      registry: t.registry.host,
      repository: t.repository,
      ...(t.tag !== undefined ? { tag: t.tag } : {}),
      digest,
    });
    if (isIndexMediaType(mediaType)) {
      for (const p of manifest.manifests) {
        if (await this.#announce(t, p, log)) announced.push(p.digest);
      }
      await this.#announceIndex(t, digest, mediaType ?? '', manifest.manifests, log);
      const record: SeenRecord = {
        state: 'announced',
        by: this.#o.instance,
        at: new Date().toISOString(),
        reference,
        kind: 'index',
        manifests: manifest.manifests.map((p) => ({
          digest: p.digest,
          mediaType: p.mediaType,
          ...(p.platform ? { platform: [p.platform.os, p.platform.architecture, p.platform.variant].filter(Boolean).join('/') } : {}),
        })),
      };
      await this.#o.seenKv.put(seenKey(digest), enc.encode(JSON.stringify(record)));
      log.info({ platforms: manifest.manifests.length, announced: announced.length }, 'index expanded');
    } else {
      const self = manifest.manifests[0];
      if (await this.#announce(t, { digest, mediaType: mediaType ?? '', platform: self?.platform }, log)) announced.push(digest);
    }
    return { digest, tagUpdated, announced };
  }

  /**
   * A digest running in the cluster (a Pod's status imageID): announced once, like any other
   * (the seen bucket and the digest-derived id), from where it was pulled, with the references
   * of a running pod's pull secrets (the scanner may read them; the watcher never does). True
   * when this call published it.
   */
  async announceRunning(image: {
    registry: string;
    repository: string;
    digest: string;
    pullSecrets?: readonly { namespace: string; name: string }[];
  }): Promise<boolean> {
    const seen = await this.#seen(image.digest);
    if (seen?.state === 'announced') return false;
    const log = this.#o.logger.child({ registry: image.registry, repository: image.repository, digest: image.digest });
    const at: AnnounceAt = {
      registry: { host: image.registry, name: image.registry },
      repository: image.repository,
      source: DiscoverySource.CLUSTER,
      pullSecrets: image.pullSecrets ?? [],
    };
    return this.#announce(at, { digest: image.digest, mediaType: '', platform: undefined }, log);
  }

  /** A deleted manifest (by digest) or tag: its references leave the tags bucket. Returns the references removed. */
  async forget(registry: RegistrySpec, repository: string, opts: { tag?: string; digest?: string }): Promise<string[]> {
    const removed: string[] = [];
    const keys: string[] = [];
    if (opts.tag !== undefined) {
      keys.push(tagKey({ registry: registry.host, repository, tag: opts.tag }));
    } else if (opts.digest !== undefined) {
      const prefix = `${registry.host}/${repository}:`;
      for (const [key, value] of this.#o.tags.entries()) {
        if (value === opts.digest && referenceOfTagKey(key).startsWith(prefix)) keys.push(key);
      }
    }
    for (const key of keys) {
      const entry = await this.#o.tagsKv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      // A tag deleted by digest goes only if it still points there (it may have moved meanwhile).
      if (opts.digest !== undefined && dec.decode(entry.value) !== opts.digest) continue;
      await this.#o.tagsKv.delete(key, { previousSeq: entry.revision }).catch(() => undefined);
      removed.push(referenceOfTagKey(key));
      this.#o.counters.tagRemoved(registry.name);
    }
    return removed;
  }

  /** Tags of `registry/repository` the bucket holds (reference → digest), for a poll to find vanished ones. */
  knownTags(registry: RegistrySpec, repository: string): Map<string, string> {
    const prefix = `${registry.host}/${repository}:`;
    const out = new Map<string, string>();
    for (const [key, value] of this.#o.tags.entries()) {
      const ref = referenceOfTagKey(key);
      if (ref.startsWith(prefix)) out.set(ref.slice(prefix.length), value);
    }
    return out;
  }

  async #updateTag(registry: RegistrySpec, repository: string, tag: string, digest: string, log: Logger): Promise<boolean> {
    const key = tagKey({ registry: registry.host, repository, tag });
    const entry = await this.#o.tagsKv.get(key);
    const current = entry && entry.operation === 'PUT' ? dec.decode(entry.value) : undefined;
    if (current === digest) return false;
    await this.#o.tagsKv.put(key, enc.encode(digest));
    this.#o.counters.tagUpdated(registry.name);
    log.info({ previous: current }, current === undefined ? 'new tag' : 'tag moved');
    return true;
  }

  async #seen(digest: string): Promise<(SeenRecord & { revision: number }) | undefined> {
    const entry = await this.#o.seenKv.get(seenKey(digest));
    if (!entry || entry.operation !== 'PUT') return undefined;
    try {
      return { ...(JSON.parse(dec.decode(entry.value)) as SeenRecord), revision: entry.revision };
    } catch {
      return undefined;
    }
  }

  /** Announces one image manifest (once per process at a time); true when this call published it. */
  #announce(t: AnnounceAt, manifest: PlatformManifest, log: Logger): Promise<boolean> {
    const running = this.#inFlight.get(manifest.digest);
    if (running) return running.then(() => false);
    const p = this.#announceOnce(t, manifest, log).finally(() => this.#inFlight.delete(manifest.digest));
    this.#inFlight.set(manifest.digest, p);
    return p;
  }

  /**
   * The index and its platforms, after the platforms themselves. Not claimed: the index is only
   * marked seen after this publish succeeds, and the digest-derived id makes a repeat (a retry,
   * a peer, the scanner expanding the same index) a duplicate JetStream drops.
   */
  async #announceIndex(
    t: DiscoveryTarget,
    digest: string,
    mediaType: string,
    platforms: readonly PlatformManifest[],
    log: Logger,
  ): Promise<void> {
    const id = indexEventId(digest);
    const location = { registry: t.registry.host, repository: t.repository };
    const event = create(ImageDiscoveredSchema, {
      meta: { ...newEventMeta(this.#o.producer), id },
      image: create(ImageRefSchema, { ...location, tag: t.tag ?? '', digest, mediaType }),
      source: t.source,
      manifests: platforms.map((p) =>
        create(ImageRefSchema, {
          ...location,
          digest: p.digest,
          mediaType: p.mediaType,
          ...(p.platform ? { platform: create(PlatformSchema, p.platform) } : {}),
        }),
      ),
    });
    const ack = await publishEvent(this.#o.js, Topics.indexDiscovered, event, { msgId: id, expectStream: Streams.images.name });
    log.info({ eventId: id, platforms: platforms.length, duplicate: ack.duplicate }, 'index announced');
  }

  /** Claims `digest`; returns the claim's revision, or undefined when announced already or claimed by a live peer. */
  async #claim(digest: string, reference: string): Promise<number | undefined> {
    const key = seenKey(digest);
    const claim = (): Uint8Array =>
      enc.encode(JSON.stringify({ state: 'claimed', by: this.#o.instance, at: new Date().toISOString(), reference } satisfies SeenRecord));
    try {
      return await this.#o.seenKv.create(key, claim());
    } catch (err) {
      const seen = await this.#seen(digest);
      if (!seen) throw err;
      if (seen.state === 'announced') return undefined;
      const age = Date.now() - Date.parse(seen.at);
      if (seen.by !== this.#o.instance && age < this.#claimTtlMs) return undefined;
      // Our own earlier attempt, or a peer's stale claim: take it over (only one taker wins the CAS).
      try {
        return await this.#o.seenKv.update(key, claim(), seen.revision);
      } catch {
        return undefined;
      }
    }
  }

  async #announceOnce(t: AnnounceAt, { digest, mediaType, platform }: PlatformManifest, log: Logger): Promise<boolean> {
    const reference = formatReference({
      registry: t.registry.host,
      repository: t.repository,
      ...(t.tag !== undefined ? { tag: t.tag } : {}),
      digest,
    });
    const revision = await this.#claim(digest, reference);
    if (revision === undefined) return false;
    const id = discoveryEventId(digest);
    const event = create(ImageDiscoveredSchema, {
      meta: { ...newEventMeta(this.#o.producer), id },
      image: create(ImageRefSchema, {
        registry: t.registry.host,
        repository: t.repository,
        tag: t.tag ?? '',
        digest,
        mediaType,
        ...(platform ? { platform: create(PlatformSchema, platform) } : {}),
      }),
      source: t.source,
      manifests: [],
      pullSecrets: (t.pullSecrets ?? []).map((r) => create(SecretRefSchema, { namespace: r.namespace, name: r.name })),
    });
    try {
      const ack = await publishEvent(this.#o.js, Topics.imageDiscovered, event, { msgId: id, expectStream: Streams.images.name });
      const record: SeenRecord = { state: 'announced', by: this.#o.instance, at: new Date().toISOString(), reference, kind: 'image' };
      await this.#o.seenKv.update(seenKey(digest), enc.encode(JSON.stringify(record)), revision).catch(async () => {
        // Someone took the claim over meanwhile: the event is out either way; record it.
        await this.#o.seenKv.put(seenKey(digest), enc.encode(JSON.stringify(record)));
      });
      if (ack.duplicate) {
        log.info({ manifest: digest, eventId: id }, 'image already published (duplicate suppressed)');
        return false;
      }
      this.#o.counters.discovered(t.source, t.registry.name);
      log.info({ manifest: digest, mediaType, platform, eventId: id, source: sourceName(t.source), seq: ack.seq }, 'image discovered');
      return true;
    } catch (err) {
      // Leave no claim behind that would hold a retry (ours or a peer's) off for the claim TTL.
      await this.#o.seenKv.delete(seenKey(digest), { previousSeq: revision }).catch(() => undefined);
      throw err;
    }
  }
}
