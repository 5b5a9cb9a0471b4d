// Polling, for registries that cannot notify (or as a safety net behind notifications): list the
// repositories (catalog, or the configured list), keep those the include/exclude globs select,
// list each one's tags and resolve every tag (HEAD) through Discovery, at most `concurrency`
// registry requests at a time. Tags gone from the registry leave the tags bucket. What is
// already in the tags and watcher-seen buckets costs a HEAD and two bucket reads, nothing more,
// so a restart does not announce anything again.
//
// A failing poll (registry down, auth refused, …) is recorded in the registry's status and
// retried with exponential backoff from WATCHER_RETRY_BASE up to the poll interval; the watcher
// itself carries on.
import picomatch from 'picomatch';
import { Semaphore } from '@assay/kit';
import type { Logger } from '@assay/telemetry';
import { type Discovery, DiscoverySource } from './discovery.ts';
import type { RegistryAccess } from './registry-access.ts';
import { isRegistryNotFound, type RegistrySpec } from '@assay/registry-client';
import { errorMessage, type RegistryStatus } from './status.ts';

export interface PollerOptions {
  registry: RegistrySpec;
  access: RegistryAccess;
  discovery: Discovery;
  status: RegistryStatus;
  logger: Logger;
  retryBaseMs: number;
  onPoll?(outcome: 'success' | 'failure', announced: number): void;
}

export interface PollReport {
  repositories: number;
  tags: number;
  announced: number;
  removed: number;
}

/** A repository filter from include/exclude globs (`**` matches across `/`). */
export function repositoryFilter(include: readonly string[], exclude: readonly string[]): (repo: string) => boolean {
  const inc = picomatch([...include], { dot: true });
  const exc = exclude.length > 0 ? picomatch([...exclude], { dot: true }) : () => false;
  return (repo) => inc(repo) && !exc(repo);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export class Poller {
  readonly #o: PollerOptions;
  readonly #filter: (repo: string) => boolean;
  /** At most `concurrency` registry requests in flight for this registry. */
  readonly #limiter: Semaphore;
  readonly #log: Logger;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #current: Promise<PollReport> | undefined;

  constructor(opts: PollerOptions) {
    this.#o = opts;
    this.#filter = repositoryFilter(opts.registry.include, opts.registry.exclude);
    this.#limiter = new Semaphore(opts.registry.concurrency);
    this.#log = opts.logger.child({ registry: opts.registry.name, component: 'poller' });
  }

  /** Polls now, then every pollIntervalSeconds (sooner after a failure, with backoff). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const intervalMs = this.#o.registry.pollIntervalSeconds * 1000;
    while (!this.#stopped) {
      let wait = intervalMs;
      try {
        await this.pollOnce();
      } catch {
        const n = this.#o.status.consecutiveFailures;
        wait = Math.min(this.#o.retryBaseMs * 2 ** Math.min(n - 1, 20), intervalMs);
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, wait);
      });
      this.#wake = undefined;
    }
  }

  /** One poll (joins the one under way, if any). Records the outcome in the status; rejects when it failed. */
  pollOnce(): Promise<PollReport> {
    this.#current ??= this.#poll().finally(() => (this.#current = undefined));
    return this.#current;
  }

  async #poll(): Promise<PollReport> {
    const started = Date.now();
    const { registry, access, discovery } = this.#o;
    const report: PollReport = { repositories: 0, tags: 0, announced: 0, removed: 0 };
    const failures: unknown[] = [];
    try {
      const repos = (await this.#limiter.run(() => collect(access.repositories()))).filter(this.#filter);
      report.repositories = repos.length;
      await Promise.all(
        repos.map(async (repository) => {
          if (this.#stopped) return;
          let tags: string[];
          try {
            tags = await this.#limiter.run(() => collect(access.tags(repository)));
          } catch (err) {
            // A configured repository nothing was pushed to yet has no tags: an answer, not a
            // failed poll. Tags the bucket holds for it are kept all the same (some registries
            // answer 404 for a repository the credentials may not read, which is no deletion).
            if (isRegistryNotFound(err))
              this.#log.debug({ repository, reason: errorMessage(err) }, 'repository not in the registry: nothing to poll');
            else failures.push(err);
            return;
          }
          report.tags += tags.length;
          await Promise.all(
            tags.map((tag) =>
              this.#limiter.run(async () => {
                if (this.#stopped) return;
                try {
                  const r = await discovery.discover({ registry, repository, tag, source: DiscoverySource.POLL });
                  report.announced += r.announced.length;
                  // Listed, yet gone by the time of the HEAD: deleted in between.
                  if (r.digest === undefined) report.removed += (await discovery.forget(registry, repository, { tag })).length;
                } catch (err) {
                  // Listed, yet its manifest gone by the time it was read: deleted in between;
                  // the next poll no longer lists it.
                  if (isRegistryNotFound(err)) this.#log.debug({ repository, tag, reason: errorMessage(err) }, 'tag deleted while polling');
                  else failures.push(err);
                }
              }),
            ),
          );
          // Tags the bucket still holds for this repository that the registry no longer lists.
          const listed = new Set(tags);
          for (const tag of discovery.knownTags(registry, repository).keys()) {
            if (!listed.has(tag)) report.removed += (await discovery.forget(registry, repository, { tag })).length;
          }
        }),
      );
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} request(s) failed during the poll`);
    } catch (err) {
      this.#o.status.pollFailed(started, err);
      this.#o.onPoll?.('failure', report.announced);
      this.#log.warn(
        { err: errorMessage(err), consecutiveFailures: this.#o.status.consecutiveFailures, durationMs: Date.now() - started },
        'poll failed',
      );
      throw err;
    }
    this.#o.status.pollSucceeded(started, report);
    this.#o.onPoll?.('success', report.announced);
    this.#log.debug({ ...report, durationMs: Date.now() - started }, 'poll complete');
    return report;
  }

  /** Stops the loop and waits for a poll under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop?.catch(() => undefined);
    await this.#current?.catch(() => undefined);
  }
}
