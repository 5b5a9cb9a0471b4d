// The running watcher: buckets, registry clients, Discovery, the notification work queue and one
// poller per polling registry, wired to the service's metrics, logs and readiness.
import { mirrorBucket, type KvMirror } from '@assay/bus';
import { Buckets, DiscoverySource } from '@assay/proto';
import type { ServiceContext } from '@assay/service-kit';
import type { RegistryWatcherShape } from './config.ts';
import { Discovery } from './discovery.ts';
import {
  type IgnoredReason,
  triageDistribution,
  triageHarbor,
  type DistributionEvent,
  type HarborPayload,
  type Triage,
  type WorkItem,
  workKey,
} from './notifications.ts';
import { clusterGauges, watcherCounters } from './metrics.ts';
import { ClusterSource } from './cluster/cluster-source.ts';
import { KubeClient, kubeConnection } from '@assay/kube';
import { Poller } from './poller.ts';
import { registryAccess, type RegistryAccess } from './registry-access.ts';
import { describeRegistry, isRegistryNotFound, type RegistrySpec } from '@assay/registry-client';
import { errorMessage, RegistryStatus, type RegistryStatusView } from './status.ts';
import { type EnqueueResult, WorkQueue } from './queue.ts';

export interface NotificationOutcome {
  result: EnqueueResult;
  accepted: number;
  ignored: number;
}

export interface StatusView {
  instance: string;
  queue: { size: number; capacity: number };
  registries: RegistryStatusView[];
}

export interface RegistryWatcher {
  readonly registries: readonly RegistrySpec[];
  registry(name: string): RegistrySpec | undefined;
  readonly discovery: Discovery;
  /** The Pod informer and the running bucket (WATCHER_KUBERNETES). */
  readonly cluster?: ClusterSource;
  /** In-memory copy of the tags bucket. */
  readonly tags: KvMirror<string>;
  /** Queues the work of Distribution events (named: from `/registry/events/:name`). */
  notifyDistribution(events: readonly DistributionEvent[], named?: RegistrySpec): NotificationOutcome;
  notifyHarbor(payload: HarborPayload, named?: RegistrySpec): NotificationOutcome;
  /** Polls one registry now; rejects when the poll failed. */
  pollNow(name: string): Promise<void>;
  /** Resolves when no notification work is waiting or running. */
  idle(): Promise<void>;
  status(): StatusView;
}

export async function startWatcher(ctx: ServiceContext<RegistryWatcherShape>): Promise<RegistryWatcher> {
  const { bus, config, logger, metrics, readiness, instance, name } = ctx;
  const registries = config.WATCHER_REGISTRIES;
  logger.info(
    { registries: registries.map(describeRegistry), notificationToken: config.NOTIFICATION_TOKEN !== undefined },
    'watching registries',
  );
  if (registries.some((r) => r.trustNotifications) && config.NOTIFICATION_TOKEN === undefined) {
    logger.warn({}, 'registries trust notifications but NOTIFICATION_TOKEN is not set: every notification will be refused (401)');
  }

  const { received, discovered, tagChanges, deletes, errors, polls } = watcherCounters(metrics);

  const tagsKv = await bus.js.views.kv(Buckets.tags.name, { bindOnly: true });
  const seenKv = await bus.js.views.kv(Buckets.watcherSeen.name, { bindOnly: true });
  const dec = new TextDecoder();
  // Set once the cluster source exists: a moved tag may change its entries' spec_differs.
  let onTagChange: ((key: string) => void) | undefined;
  const tags = await mirrorBucket<string>({
    js: bus.js,
    bucket: Buckets.tags.name,
    decode: (b) => dec.decode(b),
    onChange: (change) => onTagChange?.(change.key),
    connection: bus,
    logger: logger.child({ component: 'mirror' }),
  });
  readiness.add('mirror:tags', () => (tags.isSynced() ? true : { ok: false, detail: 'initial sync not complete' }));

  const accesses = new Map<string, RegistryAccess>();
  const statuses = new Map<string, RegistryStatus>();
  for (const r of registries) {
    accesses.set(
      r.name,
      registryAccess(r, {
        timeoutMs: config.WATCHER_REGISTRY_TIMEOUT,
        logger: logger.child({ component: 'registry-client', registry: r.name }),
      }),
    );
    statuses.set(r.name, new RegistryStatus(r));
  }
  const byName = new Map(registries.map((r) => [r.name, r]));

  const discovery = new Discovery({
    js: bus.js,
    tagsKv,
    seenKv,
    tags,
    access: (n) => accesses.get(n)!,
    producer: name,
    instance,
    logger,
    counters: {
      discovered: (source, registry) => discovered.inc({ registry, source: DiscoverySource[source]?.toLowerCase() ?? String(source) }),
      tagUpdated: (registry) => tagChanges.inc({ registry, change: 'updated' }),
      tagRemoved: (registry) => tagChanges.inc({ registry, change: 'removed' }),
    },
  });

  const queue = new WorkQueue<WorkItem>({
    capacity: config.WATCHER_QUEUE_SIZE,
    workers: config.WATCHER_WORKERS,
    attempts: config.WATCHER_RETRY_ATTEMPTS,
    retryBaseMs: config.WATCHER_RETRY_BASE,
    key: workKey,
    async handle(w) {
      // Forgetting a digest needs the tags mirror loaded (it finds the digest's tags there).
      if (!tags.isSynced()) await tags.synced;
      if (w.kind === 'discover') {
        await discovery.discover(w);
      } else if (w.kind === 'inspect') {
        await discovery.inspect(w);
      } else {
        const removed = await discovery.forget(w.registry, w.repository, {
          ...(w.tag !== undefined ? { tag: w.tag } : {}),
          ...(w.digest !== undefined ? { digest: w.digest } : {}),
        });
        logger.info({ registry: w.registry.name, repository: w.repository, tag: w.tag, digest: w.digest, removed }, 'deletion recorded');
      }
    },
    onRetry(w, err, attempt, delayMs) {
      const fields = {
        registry: w.registry.name,
        repository: w.repository,
        tag: w.tag,
        digest: w.digest,
        attempt,
        retryInMs: delayMs,
        err: errorMessage(err),
      };
      // A manifest pushed and deleted before we read it is an answer, not a fault; asked again
      // in case the registry's storage has not caught up with the push yet.
      if (isRegistryNotFound(err)) {
        logger.info(fields, `${w.kind}: the registry has no such manifest (yet); asking again`);
        return;
      }
      errors.inc({ registry: w.registry.name, stage: 'notification-attempt' });
      logger.warn(fields, `${w.kind} failed; retrying`);
    },
    onGiveUp(w, err) {
      const fields = { registry: w.registry.name, repository: w.repository, tag: w.tag, digest: w.digest, err: errorMessage(err) };
      if (isRegistryNotFound(err)) {
        logger.info(fields, `${w.kind}: the manifest is not in the registry (deleted since it was pushed); nothing to discover`);
        return;
      }
      errors.inc({ registry: w.registry.name, stage: 'notification' });
      statuses.get(w.registry.name)?.notificationFailed(err);
      logger.error(fields, `${w.kind} failed for good; polling (if enabled) will pick it up`);
    },
  });
  metrics.gauge({
    name: 'assay_watcher_queue_size',
    help: 'Notification work items waiting, retrying or being handled',
    collect() {
      this.set(queue.size);
    },
  });
  metrics.gauge({
    name: 'assay_watcher_registry_consecutive_failures',
    help: 'Consecutive failed polls of each registry',
    labelNames: ['registry'],
    collect() {
      for (const [n, s] of statuses) this.set({ registry: n }, s.consecutiveFailures);
    },
  });

  const pollers = new Map<string, Poller>();
  for (const r of registries) {
    if (r.pollIntervalSeconds <= 0) continue;
    pollers.set(
      r.name,
      new Poller({
        registry: r,
        access: accesses.get(r.name)!,
        discovery,
        status: statuses.get(r.name)!,
        logger,
        retryBaseMs: config.WATCHER_RETRY_BASE,
        onPoll(outcome) {
          polls.inc({ registry: r.name, outcome });
          if (outcome === 'failure') errors.inc({ registry: r.name, stage: 'poll' });
        },
      }),
    );
  }
  // Polls start once the tags mirror is loaded (vanished-tag detection reads it).
  void tags.synced.then(
    () => {
      if (!ctx.signal.aborted) for (const p of pollers.values()) p.start();
    },
    () => {},
  );

  // A registry in trouble is reported, never fatal: the check passes with a detail.
  readiness.add('registries', () => {
    const failing = [...statuses.values()].map((s) => s.view()).filter((v) => v.consecutiveFailures > 0);
    if (failing.length === 0) return true;
    return {
      ok: true,
      detail: failing.map((v) => `${v.name}: ${v.consecutiveFailures} failed poll(s), last: ${v.lastError ?? ''}`).join('; '),
    };
  });

  let cluster: ClusterSource | undefined;
  if (config.WATCHER_KUBERNETES) {
    const connection = kubeConnection({
      url: config.WATCHER_KUBE_API_URL,
      tokenFile: config.WATCHER_KUBE_TOKEN_FILE,
      caFile: config.WATCHER_KUBE_CA,
    });
    const source = new ClusterSource({
      client: new KubeClient(connection),
      runningKv: await bus.js.views.kv(Buckets.running.name, { bindOnly: true }),
      tags,
      announce: (image) => discovery.announceRunning(image),
      logger: logger.child({ component: 'kubernetes' }),
      maxWorkloads: config.WATCHER_RUNNING_MAX_WORKLOADS,
      debounceMs: config.WATCHER_RUNNING_DEBOUNCE,
    });
    clusterGauges(metrics, source);
    // Never blocks readiness: the registries keep working while the API server is away.
    readiness.add('kubernetes', () => source.readiness());
    // Spec tags are compared with the tags bucket: start once it is loaded.
    void tags.synced
      .then(
        () => (ctx.signal.aborted ? undefined : source.start()),
        () => {},
      )
      .catch((err: unknown) => logger.error({ err }, 'the Pod informer did not start'));
    onTagChange = (key) => source.tagChanged(key);
    cluster = source;
  }

  ctx.onStop(async () => {
    await cluster?.stop();
    await Promise.all([...pollers.values()].map((p) => p.stop()));
    const { dropped } = await queue.stop();
    if (dropped > 0) logger.warn({ dropped }, 'notification work dropped at shutdown');
    await tags.stop();
    await Promise.all([...accesses.values()].map((a) => a.close().catch(() => undefined)));
  });

  function notify(kind: 'distribution' | 'harbor', triage: Triage, actionOf: (w: WorkItem) => string): NotificationOutcome {
    const result = queue.enqueueAll(triage.items);
    const accepted = result === 'queued' || result === 'duplicate';
    for (const w of triage.items) {
      received.inc({ kind, action: actionOf(w), outcome: accepted ? 'queued' : 'refused' });
      if (accepted && w.kind === 'forget') deletes.inc({ registry: w.registry.name });
    }
    const reasons: Partial<Record<IgnoredReason, number>> = {};
    for (const i of triage.ignored) {
      received.inc({ kind, action: i.action, outcome: `ignored:${i.reason}` });
      reasons[i.reason] = (reasons[i.reason] ?? 0) + 1;
      if (i.reason === 'unmatched-registry' || i.reason === 'invalid-digest') {
        logger.warn({ kind, action: i.action, repository: i.repository, reason: i.reason }, 'notification event ignored');
      }
    }
    if (triage.items.length > 0) {
      logger.debug({ kind, items: triage.items.length, ignored: reasons, result }, 'notification received');
    }
    return { result, accepted: accepted ? triage.items.length : 0, ignored: triage.ignored.length };
  }

  return {
    registries,
    registry: (n) => byName.get(n),
    discovery,
    ...(cluster ? { cluster } : {}),
    tags,
    notifyDistribution: (events, named) =>
      // A push by digest is counted apart ('push-by-digest'), so `push` still counts tagged pushes.
      notify('distribution', triageDistribution(events, registries, named), (w) =>
        w.kind === 'discover' ? 'push' : w.kind === 'inspect' ? 'push-by-digest' : 'delete',
      ),
    notifyHarbor: (payload, named) =>
      notify('harbor', triageHarbor(payload, registries, named), (w) => (w.kind === 'forget' ? 'DELETE_ARTIFACT' : 'PUSH_ARTIFACT')),
    async pollNow(n) {
      const p = pollers.get(n);
      if (!p) throw new Error(`registry ${n} is not polled`);
      await p.pollOnce();
    },
    idle: () => queue.idle(),
    status: () => ({
      instance,
      queue: { size: queue.size, capacity: queue.capacity },
      registries: [...statuses.values()].map((s) => s.view()),
    }),
  };
}
