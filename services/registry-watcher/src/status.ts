// Per-registry health as the watcher sees it: polls (when, how long, what failed and how many
// times in a row) and notification work given up. Served on GET /status and summarised in
// /readyz as a non-fatal detail (a registry being down never makes the watcher unready).
import type { RegistrySpec } from '@assay/registry-client';

export interface RegistryStatusView {
  name: string;
  url: string;
  polling: boolean;
  pollIntervalSeconds: number;
  trustNotifications: boolean;
  /** ISO time the last poll ended (success or failure). */
  lastPollAt: string | null;
  lastPollDurationMs: number | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  polls: number;
  /** Repositories and tags seen by the last successful poll. */
  repositories: number;
  tags: number;
  /** Notification work items given up after their retries. */
  notificationFailures: number;
  lastNotificationError: string | null;
}

export class RegistryStatus {
  readonly #v: RegistryStatusView;

  constructor(spec: RegistrySpec) {
    this.#v = {
      name: spec.name,
      url: spec.baseUrl,
      polling: spec.pollIntervalSeconds > 0,
      pollIntervalSeconds: spec.pollIntervalSeconds,
      trustNotifications: spec.trustNotifications,
      lastPollAt: null,
      lastPollDurationMs: null,
      lastSuccessAt: null,
      lastError: null,
      lastErrorAt: null,
      consecutiveFailures: 0,
      polls: 0,
      repositories: 0,
      tags: 0,
      notificationFailures: 0,
      lastNotificationError: null,
    };
  }

  get consecutiveFailures(): number {
    return this.#v.consecutiveFailures;
  }

  pollSucceeded(startedAt: number, counts: { repositories: number; tags: number }): void {
    const now = new Date();
    this.#v.polls++;
    this.#v.lastPollAt = now.toISOString();
    this.#v.lastPollDurationMs = now.getTime() - startedAt;
    this.#v.lastSuccessAt = this.#v.lastPollAt;
    this.#v.consecutiveFailures = 0;
    this.#v.repositories = counts.repositories;
    this.#v.tags = counts.tags;
  }

  pollFailed(startedAt: number, err: unknown): void {
    const now = new Date();
    this.#v.polls++;
    this.#v.lastPollAt = now.toISOString();
    this.#v.lastPollDurationMs = now.getTime() - startedAt;
    this.#v.lastError = errorMessage(err);
    this.#v.lastErrorAt = this.#v.lastPollAt;
    this.#v.consecutiveFailures++;
  }

  notificationFailed(err: unknown): void {
    this.#v.notificationFailures++;
    this.#v.lastNotificationError = errorMessage(err);
  }

  view(): RegistryStatusView {
    return { ...this.#v };
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return `${err.message}: ${errorMessage(err.errors[0])}${err.errors.length > 1 ? ` (and ${err.errors.length - 1} more)` : ''}`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !msg.includes(cause) ? `${msg} (${cause})` : msg;
}
