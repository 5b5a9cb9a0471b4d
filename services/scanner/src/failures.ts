// What a failed scan means. Transient errors (registry unreachable, 5xx, store or clamd down,
// the scanner stopping) are thrown, so the bus redelivers with backoff — until the last allowed
// delivery, which records the scan as FAILED. Anything else is the image's fault and is recorded
// as FAILED at once (never retried).
import { ClamdUnavailableError } from '@assay/clamav';
import { DigestMismatchError, RegistryError } from '@assay/registry-client';
import { ImageConfigError, LayerFormatError, LayerLimitError, UnscannableImageError } from '@assay/scan-engine';
import { StoreUnavailableError } from '@assay/store';

/** The service is stopping: the job goes back to the bus for another replica (never FAILED). */
export class ScanAbortedError extends Error {
  constructor() {
    super('scan aborted: the scanner is stopping');
    this.name = 'ScanAbortedError';
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether trying again later may succeed. */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ScanAbortedError || (e instanceof Error && e.name === 'AbortError')) return true;
    if (e instanceof DigestMismatchError || e instanceof LayerLimitError || e instanceof LayerFormatError) return false;
    if (e instanceof UnscannableImageError || e instanceof ImageConfigError) return false;
    if (e instanceof StoreUnavailableError) return true;
    // clamd restarting (signature reload, rollout): retried with backoff, FAILED on the last delivery.
    if (e instanceof ClamdUnavailableError) return true;
    if (e instanceof RegistryError) {
      if (e.timedOut || e.status === undefined) return true;
      return e.status >= 500 || e.status === 429 || e.status === 408;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
  }
  return false;
}

/** The failure as a report and ScanCompleted state it: `Name: message`, bounded. */
export function failureText(err: unknown): string {
  const name = err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : '';
  const raw = err instanceof Error ? err.message : String(err);
  return (raw.startsWith(name) ? raw : `${name}${raw}`).slice(0, 3900);
}
