// The scanner's trust step: a report gets the signatures and attestations of its digest (and of
// the index it was reached through) verified once, when it is scanned; again when the watcher
// says a signature was pushed (ScanRequested with reason "signature"), or when the trusted roots
// it was verified with are no longer the scanner's. Never by time.
import { readFileSync } from 'node:fs';
import type { ScanReport, TrustSection } from '@assay/domain';
import type { RegistryClients } from '@assay/registry-client';
import type { ScanTarget } from '@assay/scan-engine';
import { loadTrustedRoots, verifyImageTrust, type DiscoverySubject, type TrustedRoots } from '@assay/trust';

export interface TrustSettings {
  TRUST_VERIFY: boolean;
  TRUST_PUBLIC_GOOD_ROOT: boolean;
  TRUST_ROOTS: string[];
}

/** Why a report's trust was verified: a new scan, a signature pushed, or other trusted roots. */
export type TrustTrigger = 'scan' | 'refresh' | 'roots';

/** Counts each verification: why, and whether any signature or attestation was usable. */
export type TrustMetric = (trigger: TrustTrigger, found: 'signed' | 'unsigned') => void;

export class ScanTrust {
  readonly roots: TrustedRoots;
  readonly #clients: RegistryClients;
  readonly #metric: TrustMetric | undefined;

  constructor(roots: TrustedRoots, clients: RegistryClients, metric?: TrustMetric) {
    this.roots = roots;
    this.#clients = clients;
    this.#metric = metric;
  }

  /** The configured roots, read once at start (a bad trusted_root.json stops the scanner, naming it). */
  static fromConfig(c: TrustSettings, clients: RegistryClients, metric?: TrustMetric): ScanTrust | undefined {
    if (!c.TRUST_VERIFY) return undefined;
    const documents = c.TRUST_ROOTS.map((path) => ({ name: path, json: readFileSync(path, 'utf8') }));
    return new ScanTrust(loadTrustedRoots({ publicGood: c.TRUST_PUBLIC_GOOD_ROOT, documents }), clients, metric);
  }

  /** Whether a stored report's trust must be verified again: none yet, or other roots. */
  stale(report: ScanReport): boolean {
    const t = report.trust;
    return !t || t.roots.join('\n') !== this.roots.ids.join('\n');
  }

  /**
   * The trust section of `target`: its own digest, and its index's when it was reached through
   * one (or when its last verification looked at one: a re-verification keeps the index).
   */
  async verify(target: ScanTarget, previous: TrustSection | undefined, signal?: AbortSignal): Promise<TrustSection> {
    const subjects: DiscoverySubject[] = [{ digest: target.digest, scope: 'image' }];
    const index = target.index ?? previous?.subjects.find((s) => s.scope === 'index')?.digest;
    if (index && index !== target.digest) subjects.push({ digest: index, scope: 'index' });
    const source = this.#clients.clientFor(target.registry);
    return verifyImageTrust(source, target.repository, subjects, { roots: this.roots, ...(signal ? { signal } : {}) });
  }

  /** The report with its trust verified now. */
  async apply(report: ScanReport, target: ScanTarget, trigger: TrustTrigger, signal?: AbortSignal): Promise<ScanReport> {
    const trust = await this.verify(target, report.trust, signal);
    const usable = [...trust.signatures, ...trust.attestations].some((r) => r.error === undefined);
    this.#metric?.(trigger, usable ? 'signed' : 'unsigned');
    return { ...report, trust };
  }
}
