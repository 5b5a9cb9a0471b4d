// What the scanner's vulnerability database manager (vulndb.ts) is given and reports: its
// options, metrics hooks, and the results of a check and of a re-match.
import type { ScanReport } from '@assay/domain';
import type { BusConnection } from '@assay/bus';
import type { RegistryClient } from '@assay/registry-client';
import type { Store } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import type { DbHolder, VulnDb } from '@assay/vulndb';
import type { VulnDbSource } from './config.ts';

export interface VulnDbMetrics {
  /** The database now current (undefined: none). */
  loaded?(db: VulnDb | undefined): void;
  check?(result: 'updated' | 'current' | 'failed'): void;
  matches?(findings: number, via: 'scan' | 'rematch'): void;
  rematched?(result: 'changed' | 'unchanged' | 'skipped' | 'failed', n: number): void;
}

export interface VulnDbManagerOptions {
  /** Directory of vulndb.sqlite; undefined = a temporary one of this process. */
  dir: string | undefined;
  source?: VulnDbSource | undefined;
  insecure?: boolean;
  /** 0: check only at start. */
  intervalMs: number;
  store: Store;
  bus?: BusConnection | undefined;
  logger: Logger;
  /** The configured registry client for a host (credentials, CA from SCANNER_REGISTRIES). */
  clientFor?: (registry: string) => RegistryClient;
  /** Publishes ScanCompleted for a re-matched report. */
  publishCompleted?: (report: ScanReport, opts: { causationId: string; eventId: string }) => Promise<void>;
  metrics?: VulnDbMetrics;
  holder?: DbHolder;
}

export interface CheckResult {
  updated: boolean;
  version: string | undefined;
  /** The re-match run after the update (also after a failed one being retried). */
  rematch?: RematchSummary;
  error?: string;
}

export interface RematchSummary {
  reports: number;
  changed: number;
  skipped: number;
  failed: number;
}
