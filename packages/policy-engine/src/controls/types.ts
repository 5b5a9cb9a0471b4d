// What a control reports: one violation per offending item (a CVE in a package, a secret at a
// path, a licence of a package…). The engine drops the violations an exception covers, then
// folds the rest into one reason per policy and control.
import type { ImageAssurancePolicy, ScanReport, Severity } from '@assay/domain';
import type { VexDocument } from '../vex/document.ts';

export type Controls = ImageAssurancePolicy['controls'];

export interface Violation {
  /** What an exception's `items` names to cover it: a vulnerability id, rule, package, licence, check id. */
  item: string;
  /** Other names the item goes by (vulnerability aliases). */
  aliases?: readonly string[];
  severity: Severity;
  /** One line, no secret values. */
  summary: string;
  evidence: Record<string, unknown>;
  remediation: string;
}

export interface ControlContext {
  now: Date;
  /**
   * The policy's index/platform rule (`signatures.signedDigest`, `either` when absent): which
   * signed digest counts for the image, for its signatures and its attestations alike.
   */
  signedDigest?: 'platform' | 'index' | 'either';
  /** The VEX documents that apply to the policy's vulnerabilities control, loaded (vex/). */
  vexDocuments?: readonly VexDocument[];
}

/**
 * A finding a VEX statement excused (`not_affected` / `fixed`), recorded in the verdict: from an
 * attestation a trusted signer signed (`vex`), or from a VEX document the policy names
 * (`vex-document`).
 */
export interface Suppression {
  /** The finding's item (vulnerability id). */
  item: string;
  by: 'vex' | 'vex-document';
  /** The statement's status. */
  status: string;
  justification?: string;
  /** `vex`: the trusted signer whose attestation holds the statement, as reasons name signers. */
  signer?: string;
  /** `vex`: the attestation it came from (manifest/layer digest). */
  attestation?: string;
  /** `vex-document`: the document (`file:…` or its URL). */
  document?: string;
  /** `vex-document`: the statement in it (its `@id` or bom-ref, or its position). */
  statement?: string;
  /** The statement's impact statement (OpenVEX) or analysis detail (CycloneDX). */
  detail?: string;
}

export interface ControlResult {
  violations: Violation[];
  /** When the control's answer may change with time alone (an allow-list entry expires…). */
  changesAt?: Date;
  /** Findings not counted as violations because a trusted statement excused them. */
  suppressed?: Suppression[];
}

export type Control<C> = (report: ScanReport, config: C, ctx: ControlContext) => ControlResult;

export function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/** A path in the image as a person reads it: absolute (reports keep layer-relative paths). */
export function imagePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
