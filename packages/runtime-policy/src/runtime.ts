// Runtime policies: which one governs a namespace, and the admission decision it implies for
// one image. Pure functions over a verdict read from the mirror, so admission decides from
// memory alone.
import { Compliance } from '@assay/proto';
import type { PolicyException, RuntimePolicy } from '@assay/domain';
import { exceptionCoversImage, inForce } from './exceptions.ts';
import { exemptionFor, type ExemptionUse } from './exemptions.ts';
import { graceFor, graceText, type GraceUse, type RunningView, type TimestampView, type WorkloadRef } from './grace.ts';
import { imageText, type ImageNaming } from './image-text.ts';
import { anyGlob, globMatch } from './globs.ts';
import { narrowToPlatforms, platformName, type PlatformVerdictView } from './platforms.ts';
import type { ImageScope } from './scope.ts';

export interface RuntimePolicyRef {
  id: string;
  version: number;
  policy: RuntimePolicy;
}

const isGlob = (p: string) => /[*?[\]{}!]/.test(p);

/** How specifically a policy names a namespace: exact beats glob beats `*`; more labels (workload or namespace) beat fewer. */
function specificity(r: RuntimePolicyRef, namespace: string): number {
  const s = r.policy.scope;
  const ns = s.namespaces;
  const exact = ns.includes(namespace) ? 2 : ns.some((p) => p !== '*' && isGlob(p) && globMatch(p, namespace)) ? 1 : 0;
  return exact * 1000 + Object.keys(s.labels ?? {}).length + Object.keys(s.namespaceLabels ?? {}).length;
}

/** Enabled, and its namespaces (and clusters, when it names some) include this one. Labels only narrow further. */
function coversNamespace(r: RuntimePolicyRef, namespace: string, cluster: string | undefined): boolean {
  const s = r.policy.scope;
  if (!r.policy.enabled || !anyGlob(s.namespaces, namespace)) return false;
  return !(s.clusters && s.clusters.length > 0 && (cluster === undefined || !anyGlob(s.clusters, cluster)));
}

/**
 * Whether any runtime policy could govern this namespace, whatever the workload's and the
 * namespace's labels (they only narrow a policy's scope). When none can, every image there is
 * allowed unjudged, so admission need not look up the digests of tags it does not know.
 */
export function mayGovernNamespace(namespace: string, runtimePolicies: readonly RuntimePolicyRef[], cluster?: string): boolean {
  return runtimePolicies.some((r) => coversNamespace(r, namespace, cluster));
}

/**
 * The enabled runtime policy for a namespace with these workload labels (and cluster, when
 * policies name clusters; and the namespace's own labels, when policies name those): the most
 * specific match, ties broken by id. Undefined when none applies.
 *
 * `namespaceLabels` undefined means they are not known (no namespace watch, or the namespace not
 * seen yet): a policy with `scope.namespaceLabels` then does not match, so selection fails
 * towards the less specific policy rather than guessing which labels the namespace has.
 */
export function selectRuntimePolicy(
  namespace: string,
  labels: Readonly<Record<string, string>>,
  runtimePolicies: readonly RuntimePolicyRef[],
  cluster?: string,
  namespaceLabels?: Readonly<Record<string, string>>,
): RuntimePolicyRef | undefined {
  const matching = runtimePolicies.filter((r) => {
    if (!coversNamespace(r, namespace, cluster)) return false;
    const s = r.policy.scope;
    const wanted = s.namespaceLabels ? Object.entries(s.namespaceLabels) : [];
    if (wanted.length > 0 && (namespaceLabels === undefined || !wanted.every(([k, v]) => namespaceLabels[k] === v))) return false;
    return Object.entries(s.labels ?? {}).every(([k, v]) => labels[k] === v);
  });
  matching.sort((a, b) => specificity(b, namespace) - specificity(a, namespace) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return matching[0];
}

/** What a decision reads of a Verdict (a decoded Verdict message is one). */
export interface VerdictView {
  compliance: Compliance;
  reasons: ReadonlyArray<{ policy: string; control: string; message: string; severity?: string; auditOnly?: boolean }>;
  /** Set on an index digest's verdict: its platform manifests' verdicts. */
  platforms?: readonly PlatformVerdictView[];
  /** Since when the compliance is what it is (a runtime policy's grace counts from it). */
  complianceSince?: TimestampView | undefined;
}

export type AdmissionMode = 'enforce' | 'warn' | 'audit' | 'none';

export interface AdmissionInput {
  /** The image's verdict; undefined when the image is unregistered (no verdict at all). */
  verdict: VerdictView | undefined;
  runtimePolicy: RuntimePolicyRef | undefined;
  /**
   * The image: its digest (undefined for a tag that could not be resolved: named so in messages,
   * and covered by no digest-scoped exception), and for messages the reference as written.
   */
  image: ImageNaming;
  namespace: string;
  exceptions: readonly PolicyException[];
  now: Date;
  /** Set when admission already waited for a pending scan and the wait ran out. */
  waitExpired?: boolean;
  /**
   * Why the image's digest is unknown, when its tag's registry lookup did not answer in time or
   * failed (`its tag was not resolved within the 1.5 s lookup budget`): decided as any image of
   * unknown digest (blockUnregistered), and the message says so instead of "never scanned".
   */
  unresolved?: string;
  /** A dry-run review: nothing leaves admission, so messages must not claim a scan was requested. */
  dryRun?: boolean;
  /**
   * For a runtime policy's grace: where the digest runs now, and the workloads the request
   * re-creates (itself, its controller owner, and what that stands for). Without it, no grace.
   */
  grace?: { running: RunningView | undefined; workloads: readonly WorkloadRef[] };
}

export interface AdmissionDecision {
  /** 'wait': ask again when the verdict arrives or at `deadline`, then with waitExpired. */
  outcome: 'allow' | 'deny' | 'wait';
  allowed: boolean;
  mode: AdmissionMode;
  runtimePolicy?: string;
  warnings: string[];
  message: string;
  /** The break-glass exception that let the image in (to be audited). */
  exceptionId?: string;
  /** The runtime policy's exemption that let the image in unjudged (to be audited). */
  exemption?: ExemptionUse;
  /** Ask the scanner for a scan (unscanned image admitted under allow-and-request-scan). */
  requestScan?: boolean;
  deadline?: Date;
  /** What enforcement would have refused (audit and warn modes, break-glass). */
  violations: string[];
  /**
   * Findings that refuse nothing but are reported (in `message`, and in `warnings` under enforce
   * and warn): a non-compliant image under `blockNonCompliant: false`, audit-only reasons. Only
   * set when there are some.
   */
  advisories?: string[];
  /** The runtime policy's grace that let a non-compliant image in (to be audited). */
  grace?: GraceUse;
}

function breakGlassFor(input: AdmissionInput): PolicyException | undefined {
  const { registry, repository, digest } = input.image;
  // An unknown digest is '': equal to no exception's digest.
  const scope: ImageScope = { registry, repository, digest: digest ?? '' };
  return input.exceptions
    .filter(
      (e) =>
        e.breakGlass === true &&
        inForce(e, input.now) &&
        (!e.scope.namespaces || anyGlob(e.scope.namespaces, input.namespace)) &&
        exceptionCoversImage(e, scope),
    )
    .sort((a, b) => (a.id < b.id ? -1 : 1))[0];
}

/** The admission decision for one image under the namespace's runtime policy. */
export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const { runtimePolicy: ref, image, namespace } = input;
  if (!ref || !ref.policy.enabled) {
    return { outcome: 'allow', allowed: true, mode: 'none', warnings: [], message: 'no runtime policy applies', violations: [] };
  }
  const name = imageText(image);
  const p = ref.policy;
  const mode: AdmissionMode = p.enforcement;
  const base = { mode, runtimePolicy: ref.id };
  const exemption = exemptionFor(p, namespace, image);
  if (exemption) {
    const message = exemption.kind === 'namespace' ? `namespace ${namespace} is exempt` : `${name} is exempt`;
    return { ...base, outcome: 'allow', allowed: true, warnings: [], message, violations: [], exemption };
  }

  const violations: string[] = [];
  const advisories: string[] = [];
  let requestScan = false;
  let grace: GraceUse | undefined;
  if (p.allowedRegistries && !anyGlob(p.allowedRegistries, image.registry)) {
    violations.push(`registry ${image.registry} is not allowed by runtime policy ${ref.id}`);
  }
  let verdict = input.verdict;
  if (verdict?.platforms && verdict.platforms.length > 0) {
    // An index: only the platforms this runtime policy admits decide.
    const narrowed = narrowToPlatforms(verdict.platforms, p.platforms);
    if (!narrowed.offered) {
      const wanted = p.platforms.map(platformName).join(', ');
      violations.push(
        `${name} offers none of the platforms runtime policy ${ref.id} admits (${wanted}); it has ${verdict.platforms.map((v) => platformName(v.platform)).join(', ')}`,
      );
      // That is the whole finding: no platform of it is judged here.
      verdict = { compliance: Compliance.COMPLIANT, reasons: [] };
    } else {
      verdict = { compliance: narrowed.compliance, reasons: narrowed.reasons };
    }
  }
  if (verdict === undefined) {
    if (p.blockUnregistered) {
      violations.push(
        input.unresolved !== undefined ? `${name} is not registered: ${input.unresolved}` : `${name} is not registered (never scanned)`,
      );
    }
  } else if (verdict.compliance === Compliance.PENDING || verdict.compliance === Compliance.UNSPECIFIED) {
    const action = p.pending?.action ?? (p.blockPending ? 'deny' : 'allow-and-request-scan');
    if (action === 'wait' && !input.waitExpired) {
      const deadline = new Date(input.now.getTime() + (p.pending?.waitMs ?? 5000));
      return {
        ...base,
        outcome: 'wait',
        allowed: false,
        warnings: [],
        message: `waiting for the scan of ${name}`,
        deadline,
        violations: [],
      };
    }
    if (action === 'allow-and-request-scan') requestScan = true;
    else violations.push(`${name} has not been scanned yet${input.waitExpired ? ' (waited for the scan)' : ''}`);
  } else if (verdict.compliance === Compliance.ERROR) {
    violations.push(`the scan of ${name} failed; the image is not known to be compliant`);
  } else if (verdict.compliance === Compliance.NON_COMPLIANT) {
    const listed = new Set(p.imagePolicies);
    const reasons = verdict.reasons.filter((r) => listed.size === 0 || listed.has(r.policy));
    // A runtime policy listing image policies enforces only those policies' reasons, and a reason
    // of an audit-action policy never refuses (it is reported).
    const blocking = reasons.filter((r) => r.auditOnly !== true);
    const audited = reasons.filter((r) => r.auditOnly === true);
    const list = (rs: typeof reasons) =>
      `${rs
        .slice(0, 3)
        .map((r) => `${r.policy}/${r.control}: ${r.message}`)
        .join('; ')}${rs.length > 3 ? ` (+${rs.length - 3} more)` : ''}`;
    if (blocking.length > 0 || (listed.size === 0 && reasons.length === 0)) {
      const finding = `${name} is non-compliant: ${list(blocking)}`;
      // Grace matters only where the finding would refuse: warn and audit admit it anyway.
      const graced =
        mode === 'enforce' && p.blockNonCompliant !== false && input.grace
          ? graceFor({
              policy: p,
              runtimePolicyId: ref.id,
              complianceSince: input.verdict?.complianceSince,
              running: input.grace.running,
              namespace,
              workloads: input.grace.workloads,
              now: input.now,
            })
          : undefined;
      if (p.blockNonCompliant === false)
        advisories.push(`${finding} (not blocked: runtime policy ${ref.id} does not block non-compliant images)`);
      else if (graced) {
        grace = graced;
        advisories.push(graceText(graced, name, list(blocking), input.now));
      } else violations.push(finding);
    }
    if (audited.length > 0) advisories.push(`${name} has audit-only findings: ${list(audited)}`);
  }

  const scan = requestScan ? { requestScan: true } : {};
  if (violations.length === 0) {
    // A dry run has no side effects, so no scan is requested: the warning says what a real request would do.
    const scanNote = input.dryRun === true ? 'a scan would be requested (dry run: none was)' : 'a scan was requested';
    const warnings = requestScan ? [`${name} is not scanned yet; ${scanNote}`] : [];
    if (advisories.length === 0) return { ...base, ...scan, outcome: 'allow', allowed: true, warnings, message: 'allowed', violations };
    const told = advisories.join('; ');
    return {
      ...base,
      ...scan,
      ...(grace ? { grace } : {}),
      outcome: 'allow',
      allowed: true,
      warnings: mode === 'audit' ? warnings : [...warnings, ...advisories],
      message: mode === 'audit' ? `audit only: ${told}` : `allowed: ${told}`,
      violations,
      advisories,
    };
  }
  const more = advisories.length > 0 ? { advisories } : {};
  const glass = breakGlassFor(input);
  if (glass) {
    return {
      ...base,
      ...scan,
      outcome: 'allow',
      allowed: true,
      exceptionId: glass.id,
      warnings: [
        `admitted by break-glass exception ${glass.id} (${glass.reason}), expires ${glass.expiresAt.toISOString()}`,
        ...violations,
      ],
      message: `allowed by break-glass exception ${glass.id}`,
      violations,
      ...more,
    };
  }
  const message = violations.join('; ');
  if (mode === 'enforce') return { ...base, ...scan, ...more, outcome: 'deny', allowed: false, warnings: [], message, violations };
  if (mode === 'warn') return { ...base, ...scan, ...more, outcome: 'allow', allowed: true, warnings: violations, message, violations };
  return { ...base, ...scan, ...more, outcome: 'allow', allowed: true, warnings: [], message: `audit only: ${message}`, violations };
}
