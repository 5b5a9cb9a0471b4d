// What a scan job asks for and what it ends in: shared by the jobs, the consumers that feed
// them and the events that announce them.
import type { ScanTarget } from '@assay/scan-engine';
import type { ScanReport } from '@assay/domain';

export interface ScanOutcome {
  digest: string;
  status: 'succeeded' | 'failed';
  reportId: string;
  error?: string;
  /** false when an existing report answered (no scan ran). */
  scanned: boolean;
  /** An existing report answered, with only its signatures and attestations verified again. */
  trustOnly?: boolean;
  report: ScanReport;
}

export interface ScanRequestOptions {
  force?: boolean;
  /** Event that caused the scan (ScanCompleted's causation id). */
  causationId?: string;
  /** The delivery is the last allowed: record a transient failure as FAILED instead of throwing. */
  lastAttempt?: boolean;
  /** A signature or attestation was pushed: verify the image's trust again, even from a stored report. */
  refreshTrust?: boolean;
  /** A running image's pull secrets (references), tried before the configured credentials when enabled. */
  pullSecrets?: readonly { namespace: string; name: string }[];
}

/** Whatever runs scan jobs (ScanJobs): one image, or joining the scan of its digest in flight. */
export interface Scans {
  scan(target: ScanTarget, opts?: ScanRequestOptions): Promise<ScanOutcome>;
}
