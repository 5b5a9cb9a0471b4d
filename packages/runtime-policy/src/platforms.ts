// An index digest's verdict aggregates its platform manifests' verdicts. Admission happens before
// scheduling, so the node's platform is unknown: a runtime policy names the platforms it cares
// about, and only those platforms' verdicts decide.
import { Compliance } from '@assay/proto';

export interface PlatformName {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

export interface ReasonView {
  policy: string;
  control: string;
  message: string;
  severity?: string;
  /** From a policy whose action is audit: reported, never refuses. */
  auditOnly?: boolean;
}

/** One platform manifest of an index, as the index's verdict lists it. */
export interface PlatformVerdictView {
  platform?: PlatformName | undefined;
  digest: string;
  compliance: Compliance;
  reasons: readonly ReasonView[];
}

/** `linux/arm64/v8`, `linux/amd64`; `unknown` for a manifest without a platform. */
export function platformName(p: PlatformName | undefined): string {
  if (!p || (!p.os && !p.architecture)) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** A wanted platform without a variant takes any variant of its os/architecture. */
export function platformMatches(have: PlatformName | undefined, want: PlatformName): boolean {
  if (!have) return false;
  return have.os === want.os && have.architecture === want.architecture && (!want.variant || want.variant === have.variant);
}

/**
 * Compliance over a set of platform verdicts: non-compliant if any is, else error if any scan
 * failed, else pending while any is unjudged, else compliant. Non-compliance comes first so a
 * refusal does not wait for the slowest platform's scan.
 */
export function aggregateCompliance(platforms: readonly { compliance: Compliance }[]): Compliance {
  const has = (c: Compliance) => platforms.some((p) => p.compliance === c);
  if (has(Compliance.NON_COMPLIANT)) return Compliance.NON_COMPLIANT;
  if (has(Compliance.ERROR)) return Compliance.ERROR;
  if (platforms.length === 0 || has(Compliance.PENDING) || has(Compliance.UNSPECIFIED)) return Compliance.PENDING;
  return Compliance.COMPLIANT;
}

/** The platforms' reasons, each message prefixed with its platform (other fields kept). */
export function platformReasons<R extends ReasonView>(
  platforms: ReadonlyArray<{ platform?: PlatformName | undefined; reasons: readonly R[] }>,
): R[] {
  return platforms.flatMap((p) => p.reasons.map((r) => ({ ...r, message: `${platformName(p.platform)}: ${r.message}` })));
}

/**
 * The verdict of an index narrowed to the platforms a runtime policy names. `missing` lists the
 * wanted platforms the index does not offer (all of them: nothing the policy admits can run).
 */
export function narrowToPlatforms(
  platforms: readonly PlatformVerdictView[],
  wanted: readonly PlatformName[],
): { compliance: Compliance; reasons: ReasonView[]; offered: boolean } {
  const chosen = platforms.filter((p) => wanted.some((w) => platformMatches(p.platform, w)));
  if (chosen.length === 0) return { compliance: Compliance.UNSPECIFIED, reasons: [], offered: false };
  const compliance = aggregateCompliance(chosen);
  const failing = chosen.filter((p) => p.compliance === compliance);
  return { compliance, reasons: compliance === Compliance.COMPLIANT ? [] : platformReasons(failing), offered: true };
}
