// The report's trust section in SARIF: one result per signature or attestation that cannot count
// (the scanner recorded an error: a payload naming another digest, an unreadable artifact; a
// keyless certificate that did not verify; an attestation about another digest), under rules
// `assay-trust-…`, and a run property summarising what was found. A signature that counts is not
// a finding, so it is only in the summary. Signed bytes and signatures are never written.
import type { AttestationRecord, SignatureRecord, TrustSection } from '@assay/domain';
import type { SarifLevel, SarifLocation, SarifRule } from './sarif-types.ts';

type Artifact = SignatureRecord | AttestationRecord;

/** A result sarif.ts adds: its rule, what the result says, and what identifies it across runs. */
export interface TrustFinding {
  rule: SarifRule;
  level: SarifLevel;
  message: { text: string };
  locations: SarifLocation[];
  properties: Record<string, unknown>;
  identity: string[];
}

const RULES = {
  unusableSignature: {
    id: 'assay-trust-unusable-signature',
    name: 'Trust/UnusableSignature',
    text: 'A signature found for the image cannot count (it names another digest, or could not be read)',
  },
  unusableAttestation: {
    id: 'assay-trust-unusable-attestation',
    name: 'Trust/UnusableAttestation',
    text: 'An attestation found for the image cannot count (it could not be read or checked)',
  },
  keylessUnverified: {
    id: 'assay-trust-keyless-unverified',
    name: 'Trust/KeylessUnverified',
    text: 'A keyless certificate did not verify against the trusted roots (chain, signature or time proof)',
  },
  attestationSubject: {
    id: 'assay-trust-attestation-subject-mismatch',
    name: 'Trust/AttestationSubjectMismatch',
    text: 'An attestation is about another digest than the image',
  },
} as const;

type RuleKey = keyof typeof RULES;

// Warnings, not errors: an artifact that cannot count is no proof against the image (anyone who
// can push to the repository can add one); whether the image is trusted is the policy's verdict.
function ruleOf(key: RuleKey): SarifRule {
  const r = RULES[key];
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: r.text },
    defaultConfiguration: { level: 'warning' },
    properties: { tags: ['security', 'supply-chain', 'trust'] },
  };
}

/** Why an artifact cannot count, and under which rule; undefined when it can. */
function problemOf(a: Artifact, isAttestation: boolean): { key: RuleKey; why: string } | undefined {
  if (a.error !== undefined) return { key: isAttestation ? 'unusableAttestation' : 'unusableSignature', why: a.error };
  if (a.keyless && !a.keyless.verified)
    return { key: 'keylessUnverified', why: `keyless certificate did not verify: ${a.keyless.error ?? 'no reason given'}` };
  if (isAttestation && !(a as AttestationRecord).subjectMatches)
    return { key: 'attestationSubject', why: `its in-toto statement does not name ${a.subject}` };
  return undefined;
}

function finding(a: Artifact, what: string, problem: { key: RuleKey; why: string }): TrustFinding {
  const rule = ruleOf(problem.key);
  const k = a.keyless;
  return {
    rule,
    level: 'warning',
    message: { text: `${what} ${a.artifact} (${a.scope} ${a.subject}, via ${a.source}) cannot count: ${problem.why}` },
    // An artifact in the registry, not a file of the image: a logical location names it.
    locations: [{ logicalLocations: [{ name: a.artifact, kind: 'resource' }] }],
    properties: {
      subject: a.subject,
      scope: a.scope,
      source: a.source,
      format: a.format,
      artifact: a.artifact,
      ...(k?.identity ? { identity: k.identity } : {}),
      ...(k?.issuer ? { issuer: k.issuer } : {}),
      ...('predicateType' in a ? { predicateType: a.predicateType, kind: a.kind } : {}),
    },
    identity: [a.artifact, a.subject, problem.why],
  };
}

/** A result for every signature and attestation of `trust` that cannot count, in report order. */
export function trustFindings(trust: TrustSection): TrustFinding[] {
  const out: TrustFinding[] = [];
  for (const s of trust.signatures) {
    const p = problemOf(s, false);
    if (p) out.push(finding(s, 'signature', p));
  }
  for (const a of trust.attestations) {
    const p = problemOf(a, true);
    if (p) out.push(finding(a, `${a.kind} attestation`, p));
  }
  return out;
}

function uniqSorted(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort();
}

/**
 * The run's `trust` property: counts of what was found and what can count, verified keyless
 * identities, key signatures (checked against a policy's keys at evaluation, so not named here),
 * usable attestation kinds, SLSA builders and source repositories, roots and discovery warnings.
 */
export function trustRunProperty(trust: TrustSection): Record<string, unknown> {
  const usableSignatures = trust.signatures.filter((s) => problemOf(s, false) === undefined);
  const usableAttestations = trust.attestations.filter((a) => problemOf(a, true) === undefined);
  const provenance = usableAttestations.flatMap((a) => (a.provenance ? [a.provenance] : []));
  return {
    verifiedAt: new Date(trust.verifiedAt).toISOString(),
    subjects: trust.subjects.map((s) => `${s.scope} ${s.digest}`),
    roots: trust.roots,
    signatures: {
      found: trust.signatures.length,
      usable: usableSignatures.length,
      keylessIdentities: uniqSorted(usableSignatures.flatMap((s) => (s.keyless?.identity ? [s.keyless.identity] : []))),
      keySignatures: usableSignatures.filter((s) => s.keyed !== undefined).length,
    },
    attestations: {
      found: trust.attestations.length,
      usable: usableAttestations.length,
      kinds: uniqSorted(usableAttestations.map((a) => a.kind)),
      builderIds: uniqSorted(provenance.flatMap((p) => (p.builderId ? [p.builderId] : []))),
      sourceRepositories: uniqSorted(provenance.flatMap((p) => (p.sourceRepository ? [p.sourceRepository] : []))),
    },
    warnings: trust.warnings,
  };
}
