// Registry notifications → work items. Pure functions over already-validated payloads.
//
// Which configured registry an event belongs to (only registries with trustNotifications count):
//   - `/registry/events/:name` and `/harbor/events/:name` name it: every event of the request is
//     that registry's (the recommended setup: one endpoint URL per registry);
//   - on the bare `/registry/events`, each Distribution event is matched by its `request.host`
//     (the Host the pushing client used), then by the host of `target.url`, against the
//     registry's own host and its `notificationHosts`;
//   - on the bare `/harbor/events`, by the host of each resource's `resource_url`.
// Events that match no trusting registry are ignored (logged and counted), never guessed.
import { isValidDigest } from '@assay/image-ref';
import { isManifestMediaType, MediaTypes } from '@assay/registry-client';
import { DiscoverySource } from '@assay/proto';
import type { RegistrySpec } from '@assay/registry-client';
import type { DiscoveryTarget } from './discovery.ts';

export const DISTRIBUTION_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** The Distribution event fields the watcher reads. */
export interface DistributionEvent {
  id?: string;
  action: string;
  timestamp?: string;
  target: { mediaType?: string; digest?: string; repository: string; tag?: string; url?: string };
  request?: { host?: string; addr?: string };
  source?: { addr?: string };
}

export interface HarborPayload {
  type: string;
  occur_at?: number;
  operator?: string;
  event_data: {
    resources?: Array<{ digest?: string; tag?: string; resource_url?: string }>;
    repository: { name?: string; namespace?: string; repo_full_name?: string };
  };
}

/**
 * Work for the queue: an image to discover, a deleted tag or manifest to forget, or a manifest
 * pushed by digest only to inspect (a referrer asks for its subject's trust to be verified again).
 */
export type WorkItem = (
  | ({ kind: 'discover' } & DiscoveryTarget)
  | ({ kind: 'inspect'; digest: string } & DiscoveryTarget)
  | { kind: 'forget'; registry: RegistrySpec; repository: string; tag?: string; digest?: string }
) & {
  /** Id of the notification event, for logs. */
  eventId?: string;
};

export function workKey(w: WorkItem): string {
  return [w.kind, w.registry.name, w.repository, w.tag ?? '', w.digest ?? ''].join('|');
}

export type IgnoredReason = 'unmatched-registry' | 'not-a-manifest' | 'untagged-push' | 'action' | 'invalid-digest';

export interface Triage {
  items: WorkItem[];
  ignored: Array<{ reason: IgnoredReason; action: string; repository?: string; registry?: string }>;
}

function hostOfUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `http://${u}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The trusting registry whose host (or an alias) is `host`. */
function byHost(registries: readonly RegistrySpec[], host: string | undefined): RegistrySpec | undefined {
  if (!host) return undefined;
  const h = host.toLowerCase();
  return registries.find((r) => r.trustNotifications && r.notificationHosts.includes(h));
}

/** What a notification event names, as far as it is known. */
interface Named {
  registry: RegistrySpec;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  mediaType?: string | undefined;
  eventId?: string | undefined;
}

/** The work an event asks for: forget what it names, or discover it. */
function workItem(kind: 'discover' | 'forget', n: Named): WorkItem {
  const named = {
    registry: n.registry,
    repository: n.repository,
    ...(n.tag !== undefined ? { tag: n.tag } : {}),
    ...(n.digest !== undefined ? { digest: n.digest } : {}),
    ...(n.eventId ? { eventId: n.eventId } : {}),
  };
  if (kind === 'forget') return { kind, ...named };
  return { kind, ...named, ...(n.mediaType ? { mediaType: n.mediaType } : {}), source: DiscoverySource.NOTIFICATION };
}

/**
 * Why an event is ignored before what it names is looked at: an action that is not a push or a
 * delete, no trusting registry, or a digest that is not one.
 */
function precheck(knownAction: boolean, registry: RegistrySpec | undefined, digest: string | undefined): IgnoredReason | undefined {
  if (!knownAction) return 'action';
  if (!registry) return 'unmatched-registry';
  if (digest !== undefined && !isValidDigest(digest)) return 'invalid-digest';
  return undefined;
}

/** Distribution notification events → work: tagged manifest pushes to discover, deletes to forget. */
export function triageDistribution(
  events: readonly DistributionEvent[],
  registries: readonly RegistrySpec[],
  named?: RegistrySpec,
): Triage {
  const out: Triage = { items: [], ignored: [] };
  for (const e of events) {
    const registry = named ?? byHost(registries, e.request?.host) ?? byHost(registries, hostOfUrl(e.target.url));
    const ignore = (reason: IgnoredReason) =>
      out.ignored.push({ reason, action: e.action, repository: e.target.repository, ...(registry ? { registry: registry.name } : {}) });
    const digest = e.target.digest;
    const skip = precheck(e.action === 'push' || e.action === 'delete', registry, digest);
    if (skip || !registry) {
      ignore(skip ?? 'unmatched-registry');
      continue;
    }
    const tag = e.target.tag ? e.target.tag : undefined;
    if (e.action === 'delete') {
      if (digest === undefined && tag === undefined) {
        ignore('not-a-manifest');
        continue;
      }
      out.items.push(workItem('forget', { registry, repository: e.target.repository, tag, digest, eventId: e.id }));
      continue;
    }
    // Blob pushes (application/octet-stream, layers, configs) are not images.
    if (!isManifestMediaType(e.target.mediaType) || digest === undefined) {
      ignore('not-a-manifest');
      continue;
    }
    // A manifest pushed by digest only: an index's platform manifest ahead of the index, which
    // announces it with its platform and tag (polling and admission find the rest), or a
    // referrer (a signature, attestation, SBOM with a `subject`), which only an OCI image
    // manifest can be: those are looked at, for their subject's sake.
    if (tag === undefined) {
      if (e.target.mediaType === MediaTypes.ociManifest) {
        out.items.push({
          kind: 'inspect',
          registry,
          repository: e.target.repository,
          digest,
          mediaType: e.target.mediaType,
          source: DiscoverySource.NOTIFICATION,
          ...(e.id ? { eventId: e.id } : {}),
        });
      } else ignore('untagged-push');
      continue;
    }
    out.items.push(
      workItem('discover', { registry, repository: e.target.repository, tag, digest, mediaType: e.target.mediaType, eventId: e.id }),
    );
  }
  return out;
}

/** Harbor webhook (PUSH_ARTIFACT, DELETE_ARTIFACT) → work. */
export function triageHarbor(payload: HarborPayload, registries: readonly RegistrySpec[], named?: RegistrySpec): Triage {
  const out: Triage = { items: [], ignored: [] };
  const repo = payload.event_data.repository;
  const repository = repo.repo_full_name ?? (repo.namespace && repo.name ? `${repo.namespace}/${repo.name}` : undefined) ?? repo.name ?? '';
  const action = payload.type;
  for (const r of payload.event_data.resources ?? []) {
    const registry = named ?? byHost(registries, hostOfUrl(r.resource_url));
    const ignore = (reason: IgnoredReason) =>
      out.ignored.push({ reason, action, repository, ...(registry ? { registry: registry.name } : {}) });
    const digest = r.digest ? r.digest : undefined;
    const skip = precheck(action === 'PUSH_ARTIFACT' || action === 'DELETE_ARTIFACT', registry, digest);
    if (skip || !registry) {
      ignore(skip ?? 'unmatched-registry');
      continue;
    }
    const tag = r.tag ? r.tag : undefined;
    if (action === 'DELETE_ARTIFACT') {
      if (digest === undefined && tag === undefined) continue;
      out.items.push(workItem('forget', { registry, repository, tag, digest }));
      continue;
    }
    if (tag === undefined && digest === undefined) {
      ignore('not-a-manifest');
      continue;
    }
    if (tag === undefined) {
      ignore('untagged-push');
      continue;
    }
    out.items.push(workItem('discover', { registry, repository, tag, digest }));
  }
  return out;
}
