// Required attestations: each one the policy lists (SLSA provenance, an SBOM, a VEX document…)
// must be present on a digest the policy's index/platform rule accepts, be about this image (the
// in-toto statement names its digest), be signed by one of its signers, and for SLSA provenance
// come from an allowed builder, source repository and build type. One attestation meeting all of
// it is enough; otherwise each one found says why it was not.
import type { AttestationKind, AttestationRecord, Provenance } from '@assay/domain';
import { anyGlob } from '@assay/runtime-policy';
import { describeSignature, matchSigner, signerLabel } from '@assay/trust';
import type { Control, Controls, Violation } from './types.ts';
import { digestToSign, hasIndex, scopeCounts, shortDigest, untrustedSigner, type SignedDigestRule } from './trust-scope.ts';

type Config = NonNullable<Controls['attestations']>;
type Requirement = Config[number];

/**
 * cosign's `--type` names, as the kind of predicate they stand for, and the predicate type URI
 * prefix when the name pins a version. Any other `type` is a predicate type URI, compared exactly
 * or as a prefix (`https://openvex.dev/ns` names `https://openvex.dev/ns/v0.2.0`).
 */
const TYPE_NAMES: Readonly<Record<string, { kind: AttestationKind; prefix?: string }>> = {
  slsaprovenance: { kind: 'slsa-provenance' },
  slsaprovenance02: { kind: 'slsa-provenance', prefix: 'https://slsa.dev/provenance/v0.2' },
  slsaprovenance1: { kind: 'slsa-provenance', prefix: 'https://slsa.dev/provenance/v1' },
  cyclonedx: { kind: 'cyclonedx' },
  spdx: { kind: 'spdx' },
  spdxjson: { kind: 'spdx' },
  openvex: { kind: 'openvex' },
  vuln: { kind: 'vuln' },
};

/** Whether a record is of the required type. */
export function isOfType(type: string, record: Pick<AttestationRecord, 'kind' | 'predicateType'>): boolean {
  const named = TYPE_NAMES[type.toLowerCase()];
  if (named) return record.kind === named.kind && (named.prefix === undefined || record.predicateType.startsWith(named.prefix));
  return record.predicateType === type || record.predicateType.startsWith(type.endsWith('/') ? type : `${type}/`);
}

/** Why the provenance falls outside the requirement's allow lists, or undefined when it does not. */
function provenanceProblem(req: Requirement, p: Provenance | undefined): string | undefined {
  const wants = req.builderIds !== undefined || req.sourceRepositories !== undefined || req.buildTypes !== undefined;
  if (!wants) return undefined;
  if (!p) return 'attestation holds no SLSA provenance to judge';
  if (req.builderIds && !(p.builderId !== undefined && req.builderIds.includes(p.builderId))) {
    return p.builderId === undefined
      ? 'provenance names no builder'
      : `provenance by builder ${p.builderId}, which is not in the allow list`;
  }
  if (req.sourceRepositories && !(p.sourceRepository !== undefined && anyGlob(req.sourceRepositories, p.sourceRepository))) {
    return p.sourceRepository === undefined
      ? 'provenance names no source repository'
      : `provenance from source repository ${p.sourceRepository}, which matches none of ${req.sourceRepositories.join(', ')}`;
  }
  if (req.buildTypes && !(p.buildType !== undefined && req.buildTypes.includes(p.buildType))) {
    return p.buildType === undefined ? 'provenance names no build type' : `provenance of build type ${p.buildType}, which is not allowed`;
  }
  return undefined;
}

/** Why this record does not meet the requirement, or undefined when it does. */
function problem(req: Requirement, record: AttestationRecord, rule: SignedDigestRule, indexed: boolean): string | undefined {
  if (!scopeCounts(record.scope, rule, indexed)) {
    return `attestation on the ${record.scope === 'index' ? 'index' : 'platform image'} does not count (signedDigest: ${rule})`;
  }
  // The scanner's error names the statement's subjects ("attestation is about sha256:…, not sha256:…").
  if (!record.subjectMatches) return record.error ?? `attestation is about another digest, not ${shortDigest(record.subject)}`;
  if (record.error !== undefined) return `attestation not usable: ${record.error}`;
  if (!req.signers.some((s) => matchSigner(s, record))) return `attestation ${untrustedSigner(record, req.signers)}`;
  return provenanceProblem(req, record.provenance);
}

export const attestationsControl: Control<Config> = (report, config, ctx) => {
  const rule: SignedDigestRule = ctx.signedDigest ?? 'either';
  const trust = report.trust;
  const violations: Violation[] = [];
  for (const req of config) {
    const image = `${report.image.registry}/${report.image.repository}@${digestToSign(report, rule)}`;
    const fix = `attest it: cosign attest --type ${req.type} --predicate <file> ${image}, signed as ${req.signers.map(signerLabel).join(' or ')}`;
    if (!trust) {
      violations.push({
        item: req.type,
        severity: 'high',
        summary: 'attestations not verified for this image (scan again)',
        evidence: { type: req.type, subject: report.image.digest },
        remediation: 'scan the image again so its attestations are verified',
      });
      continue;
    }
    const indexed = hasIndex(trust);
    const candidates = trust.attestations.filter((a) => isOfType(req.type, a));
    const problems = candidates.map((a) => ({ a, why: problem(req, a, rule, indexed) }));
    if (problems.some((p) => p.why === undefined)) continue;
    if (problems.length === 0) {
      violations.push({
        item: req.type,
        severity: 'high',
        summary: `no ${req.type} attestation found for ${shortDigest(digestToSign(report, rule))}`,
        evidence: { type: req.type, subject: digestToSign(report, rule) },
        remediation: fix,
      });
      continue;
    }
    for (const { a, why } of problems) {
      violations.push({
        item: req.type,
        severity: 'high',
        summary: `${req.type}: ${why}`,
        evidence: {
          type: req.type,
          predicateType: a.predicateType,
          signer: describeSignature(a),
          subject: a.subject,
          scope: a.scope,
          source: a.source,
          artifact: a.artifact,
          ...(a.provenance?.builderId !== undefined ? { builderId: a.provenance.builderId } : {}),
          ...(a.provenance?.sourceRepository !== undefined ? { sourceRepository: a.provenance.sourceRepository } : {}),
        },
        remediation: fix,
      });
    }
  }
  return { violations };
};
