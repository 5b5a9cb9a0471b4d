// The map of analyzer versions (Trivy style: analyzer type → integer version): every report
// says which analyzers produced it, and the map is part of every cache key, so bumping one
// analyzer's version invalidates exactly the results it contributed to.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { nonEmpty } from './fields.ts';

export type AnalyzerVersions = Record<string, number>;

export const analyzerVersionsSchema = z.record(
  nonEmpty(100),
  z.number({ error: 'expected an integer version' }).int({ error: 'expected an integer version' }).min(0),
);

/** Canonical form: entries sorted by analyzer name, `name=version` joined by commas. */
export function canonicalAnalyzerVersions(versions: AnalyzerVersions): string {
  return Object.keys(versions)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${versions[k]}`)
    .join(',');
}

/** A fixed-length key for an analyzer-versions map (sha256 of the canonical form). */
export function analyzerVersionsKey(versions: AnalyzerVersions): string {
  return createHash('sha256').update(canonicalAnalyzerVersions(versions)).digest('hex');
}
