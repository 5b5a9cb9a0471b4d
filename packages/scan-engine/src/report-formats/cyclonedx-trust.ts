// The report's trust section on the CycloneDX image component (metadata.component): each
// signature and attestation found as `assay:trust:signature:<n>:*` / `assay:trust:attestation:<n>:*`
// properties (who signed, where it was found, whether it verified, why it cannot count), and SLSA
// provenance as the component's external references (its source repository as `vcs`, its builder
// as `build-system`). What a key signature signed and the signatures themselves are never
// written: a BOM is shared widely, and the signed bytes are for verification, not for reading.
import * as CDX from '@cyclonedx/cyclonedx-library';
import type { AttestationRecord, SignatureRecord, TrustSection } from '@assay/domain';

const PREFIX = 'assay:trust';

type Artifact = SignatureRecord | AttestationRecord;

/**
 * Properties common to signatures and attestations: how it is signed (keyless with the
 * certificate's identity and issuer, or a key, checked by policy), about which digest, found where.
 * `verified` is the scanner's word on a keyless certificate; a key signature is checked against
 * a policy's keys at evaluation, so it has none. An artifact with an error never counts.
 */
function artifactProperties(a: Artifact): [string, string | undefined][] {
  const k = a.keyless;
  return [
    ['type', k ? 'keyless' : a.keyed ? 'key' : undefined],
    ['identity', k?.identity],
    ['issuer', k?.issuer],
    ['verified', k ? String(k.verified && a.error === undefined) : a.error !== undefined ? 'false' : undefined],
    ['verificationError', k?.error],
    ['timestamp', k?.timestamp],
    ['signedAt', k?.signedAt ? new Date(k.signedAt).toISOString() : undefined],
    ['root', k?.root],
    ['keyHint', a.keyed?.keyHint],
    ['subject', a.subject],
    ['scope', a.scope],
    ['source', a.source],
    ['format', a.format],
    ['artifact', a.artifact],
    ['error', a.error],
  ];
}

function signatureProperties(s: SignatureRecord): [string, string | undefined][] {
  return [...artifactProperties(s), ['payloadDigest', s.payloadDigest], ['dockerReference', s.dockerReference]];
}

function attestationProperties(a: AttestationRecord): [string, string | undefined][] {
  const p = a.provenance;
  return [
    ['kind', a.kind],
    ['predicateType', a.predicateType],
    ['subjectMatches', String(a.subjectMatches)],
    ...artifactProperties(a),
    ['slsaVersion', p?.slsaVersion],
    ['builderId', p?.builderId],
    ['buildType', p?.buildType],
    ['sourceRepository', p?.sourceRepository],
    ['sourceRef', p?.sourceRef],
    ['sourceDigest', p?.sourceDigest],
    ['vexStatements', a.vex ? String(a.vex.length + (a.vexOmitted ?? 0)) : undefined],
    ['sbomComponents', a.sbom ? String(a.sbom.components) : undefined],
    ['scanResults', a.scan ? String(a.scan.results) : undefined],
  ];
}

function addAll(component: CDX.Models.Component, prefix: string, props: [string, string | undefined][]): void {
  for (const [name, value] of props)
    if (value !== undefined && value !== '') component.properties.add(new CDX.Models.Property(`${prefix}:${name}`, value));
}

/** An external reference's URL: an absolute IRI (a scheme, as `git+https:`), else none. */
function iri(s: string | undefined): string | undefined {
  return s !== undefined && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(s) ? s : undefined;
}

/** Source repository and builder of usable SLSA provenance, once each. */
function provenanceReferences(component: CDX.Models.Component, attestations: readonly AttestationRecord[]): void {
  const seen = new Set<string>();
  const add = (url: string | undefined, type: CDX.Enums.ExternalReferenceType, comment: string) => {
    if (url === undefined || seen.has(`${type} ${url}`)) return;
    seen.add(`${type} ${url}`);
    component.externalReferences.add(new CDX.Models.ExternalReference(url, type, { comment }));
  };
  for (const a of attestations) {
    const p = a.provenance;
    if (!p || a.error !== undefined || !a.subjectMatches) continue;
    const at = [p.sourceRef, p.sourceDigest].filter(Boolean).join(' ');
    add(iri(p.sourceRepository), CDX.Enums.ExternalReferenceType.VCS, `SLSA provenance source repository${at ? ` at ${at}` : ''}`);
    add(
      iri(p.builderId),
      CDX.Enums.ExternalReferenceType.BuildSystem,
      `SLSA provenance builder${p.buildType ? ` (build type ${p.buildType})` : ''}`,
    );
  }
}

/** Adds the trust section to the image component (properties numbered from 1 in report order). */
export function addTrust(component: CDX.Models.Component, trust: TrustSection): void {
  component.properties.add(new CDX.Models.Property(`${PREFIX}:verifiedAt`, new Date(trust.verifiedAt).toISOString()));
  addAll(component, PREFIX, [
    ['signatures', String(trust.signatures.length)],
    ['attestations', String(trust.attestations.length)],
    ['roots', trust.roots.join(', ')],
  ]);
  trust.signatures.forEach((s, i) => addAll(component, `${PREFIX}:signature:${i + 1}`, signatureProperties(s)));
  trust.attestations.forEach((a, i) => addAll(component, `${PREFIX}:attestation:${i + 1}`, attestationProperties(a)));
  trust.warnings.forEach((w, i) => component.properties.add(new CDX.Models.Property(`${PREFIX}:warning:${i + 1}`, w)));
  provenanceReferences(component, trust.attestations);
}
