// The report's `licences` section: one row per licence a package records, normalised to SPDX
// when that can be done without guessing, else the raw text marked unknown.
import type { Package } from '../analyzer.ts';
import { type LicenceCategory, licenceCategory } from './categories.ts';
import { normaliseLicence } from './normalise.ts';

export interface LicenceFinding {
  /** `name@version`. */
  readonly package: string;
  readonly purl?: string;
  /** SPDX id or expression when known, else the licence as the package records it. */
  readonly licence: string;
  readonly category?: LicenceCategory;
  readonly known: boolean;
  /** The licence as recorded, when it differs from `licence`. */
  readonly raw?: string;
}

/** The licence of a package that records none. */
export const UNKNOWN_LICENCE = 'unknown';

export function licenceFindings(packages: Iterable<Package>): LicenceFinding[] {
  const out: LicenceFinding[] = [];
  for (const p of packages) {
    const seen = new Set<string>();
    if (!p.licences || p.licences.length === 0) {
      // Nothing recorded (e.g. a Debian package without a machine-readable copyright file):
      // reported as unknown, never guessed.
      out.push({ package: `${p.name}@${p.version}`, ...(p.purl ? { purl: p.purl } : {}), licence: UNKNOWN_LICENCE, known: false });
      continue;
    }
    for (const raw of p.licences) {
      const n = normaliseLicence(raw);
      const licence = n.spdx ?? raw.trim();
      if (!licence || seen.has(licence)) continue;
      seen.add(licence);
      const category = n.spdx ? licenceCategory(n.spdx) : undefined;
      out.push({
        package: `${p.name}@${p.version}`,
        ...(p.purl ? { purl: p.purl } : {}),
        licence,
        ...(category ? { category } : {}),
        known: n.known,
        ...(licence !== raw ? { raw } : {}),
      });
    }
  }
  return out;
}
