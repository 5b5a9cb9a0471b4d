// Supply-chain trust, as documents: who policies trust (signers), and what a scan found and
// verified about who built an image (the report's `trust` section). The scanner verifies once per
// digest what needs no policy (a keyless certificate's chain to a trusted root, its transparency-
// log or timestamp proof, the payload naming this digest); the policy engine decides whether the
// signer is one a policy trusts (a key's signature is checked there, over the kept payload).
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { digest, nonEmpty, timestamp } from './fields.ts';

/** A regular expression a policy writes: refused at write time when it does not compile. */
const regexp = nonEmpty(1000).refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'not a valid regular expression' },
);

/** A public key in PEM (SPKI, `-----BEGIN PUBLIC KEY-----`): ECDSA P-256/P-384, Ed25519 or RSA. */
const publicKeyPem = nonEmpty(20_000)
  .regex(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, {
    error: 'expected a PEM public key (-----BEGIN PUBLIC KEY-----)',
  })
  // The armour alone is not a key: a body that does not decode is refused when the policy is
  // written, not found out when no image ever verifies against it.
  .refine(
    (pem) => {
      try {
        createPublicKey({ key: pem, format: 'pem' });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'not a usable PEM public key (the key does not decode)', abort: true },
  );

export const KeylessIdentitySchema = z
  .strictObject({
    /** The certificate's subject alternative name, exactly (an e-mail, a workflow URI). */
    identity: nonEmpty(2000).optional(),
    identityRegexp: regexp.optional(),
    /** The OIDC issuer recorded in the certificate, exactly. */
    issuer: nonEmpty(2000).optional(),
    issuerRegexp: regexp.optional(),
  })
  .refine((k) => (k.identity !== undefined) !== (k.identityRegexp !== undefined), {
    error: 'give exactly one of identity or identityRegexp',
  })
  .refine((k) => (k.issuer !== undefined) !== (k.issuerRegexp !== undefined), {
    error: 'give exactly one of issuer or issuerRegexp',
  });
export type KeylessIdentity = z.output<typeof KeylessIdentitySchema>;

/** One signer a policy trusts: a public key, or a keyless identity (certificate SAN + OIDC issuer). */
export const TrustedSignerSchema = z
  .strictObject({
    /** How reasons name the signer ("release key"); the key fingerprint or identity when absent. */
    name: nonEmpty(200).optional(),
    key: publicKeyPem.optional(),
    keyless: KeylessIdentitySchema.optional(),
  })
  .refine((s) => (s.key !== undefined) !== (s.keyless !== undefined), { error: 'give exactly one of key or keyless' });
export type TrustedSigner = z.output<typeof TrustedSignerSchema>;

// ---- the report's trust section ---------------------------------------------------------------

/** Which digest an artifact is about: the image's own manifest, or the index it was reached through. */
export const TRUST_SCOPES = ['image', 'index'] as const;
export type TrustScope = (typeof TRUST_SCOPES)[number];

/**
 * Where it was found: cosign's tag scheme (`sha256-<hex>.sig` / `.att`), or a referrer (OCI 1.1
 * referrers API, or its fallback tag `sha256-<hex>`).
 */
export const TRUST_SOURCES = ['cosign-tag', 'referrer'] as const;

/** A keyless certificate as the scanner verified it against a trusted root. */
export const KeylessResultSchema = z.strictObject({
  /** Chain to a trusted Fulcio root, signature by the certificate's key, and a time proof, all good. */
  verified: z.boolean(),
  /** Why not, one line. */
  error: z.string().max(2000).optional(),
  /** Certificate subject alternative name. */
  identity: z.string().max(2000).optional(),
  /** OIDC issuer extension of the certificate. */
  issuer: z.string().max(2000).optional(),
  /** What placed signing inside the certificate's validity. */
  timestamp: z.enum(['tlog', 'tsa']).optional(),
  signedAt: timestamp.optional(),
  /** Which trusted root it was verified against (`public-good@…`, `private@…`). */
  root: z.string().max(300).optional(),
});
export type KeylessResult = z.output<typeof KeylessResultSchema>;

/** What a signed thing carries for a key to be checked against it later (policy time). */
export const KeyedMaterialSchema = z.strictObject({
  /** The exact signed bytes, base64 (a simple-signing payload, or a DSSE PAE). */
  signed: z.string().max(2_000_000),
  /** Each signature over them, base64. */
  signatures: z.array(z.string().max(10_000)).max(20),
  /** A key id hint the signer gave, if any. */
  keyHint: z.string().max(500).optional(),
});
export type KeyedMaterial = z.output<typeof KeyedMaterialSchema>;

const artifactCommon = {
  /** The digest the artifact is about (this image's, or its index's). */
  subject: digest,
  scope: z.enum(TRUST_SCOPES),
  source: z.enum(TRUST_SOURCES),
  /** cosign (simple signing / DSSE layers with annotations) or a Sigstore bundle (v0.1–v0.3). */
  format: z.enum(['cosign', 'sigstore-bundle']),
  /** The manifest (and layer) the artifact was read from. */
  artifact: nonEmpty(300),
  /** Keyless: what the scanner verified. Absent for a key signature (no certificate). */
  keyless: KeylessResultSchema.optional(),
  /** A key signature: what a policy's key is checked against. Absent for keyless. */
  keyed: KeyedMaterialSchema.optional(),
  /** Why the artifact cannot count whatever the signer (payload names another digest, unreadable…). */
  error: z.string().max(2000).optional(),
};

export const SignatureRecordSchema = z.strictObject({
  ...artifactCommon,
  /** The simple-signing payload's `docker-manifest-digest`. */
  payloadDigest: z.string().max(300).optional(),
  /** The simple-signing payload's `docker-reference` (registry/repository it was signed for). */
  dockerReference: z.string().max(1000).optional(),
});
export type SignatureRecord = z.output<typeof SignatureRecordSchema>;

/** SLSA provenance, the fields policies judge. */
export const ProvenanceSchema = z.strictObject({
  slsaVersion: z.enum(['0.2', '1']),
  builderId: z.string().max(2000).optional(),
  buildType: z.string().max(2000).optional(),
  sourceRepository: z.string().max(2000).optional(),
  sourceRef: z.string().max(1000).optional(),
  sourceDigest: z.string().max(300).optional(),
});
export type Provenance = z.output<typeof ProvenanceSchema>;

/** One OpenVEX statement about this image. */
export const VexStatementSchema = z.strictObject({
  vulnerability: nonEmpty(200),
  aliases: z.array(nonEmpty(200)).max(50).optional(),
  status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
  justification: z.string().max(200).optional(),
  impactStatement: z.string().max(2000).optional(),
  /** Package URLs the statement is limited to; the whole image when absent. */
  products: z.array(z.string().max(2000)).max(200).optional(),
});
export type VexStatement = z.output<typeof VexStatementSchema>;

export const ATTESTATION_KINDS = ['slsa-provenance', 'cyclonedx', 'spdx', 'openvex', 'vuln', 'other'] as const;
export type AttestationKind = (typeof ATTESTATION_KINDS)[number];

export const AttestationRecordSchema = z.strictObject({
  ...artifactCommon,
  predicateType: z.string().max(1000),
  kind: z.enum(ATTESTATION_KINDS),
  /** The in-toto statement names this record's subject digest among its subjects. */
  subjectMatches: z.boolean(),
  provenance: ProvenanceSchema.optional(),
  /** OpenVEX statements (at most 1,000 kept; `vexOmitted` counts the rest). */
  vex: z.array(VexStatementSchema).max(1000).optional(),
  vexOmitted: z.number().int().min(0).optional(),
  /** An SBOM predicate: its format version and component count (the SBOM itself is not kept). */
  sbom: z.strictObject({ specVersion: z.string().max(50).optional(), components: z.number().int().min(0) }).optional(),
  /** A vulnerability-scan predicate: the scanner that produced it and its result count. */
  scan: z.strictObject({ scanner: z.string().max(500).optional(), results: z.number().int().min(0) }).optional(),
});
export type AttestationRecord = z.output<typeof AttestationRecordSchema>;

/** The report's trust section: everything found for the image's digest (and its index's). */
export const TrustSectionSchema = z.strictObject({
  verifiedAt: timestamp,
  /** The digests looked at. */
  subjects: z.array(z.strictObject({ digest, scope: z.enum(TRUST_SCOPES) })).max(2),
  /** The trusted roots keyless certificates were verified against (`public-good@<hash>`…). */
  roots: z.array(z.string().max(300)).max(20),
  signatures: z.array(SignatureRecordSchema).max(100),
  attestations: z.array(AttestationRecordSchema).max(100),
  /** What could not be looked at or read (referrers API unsupported, an unreadable artifact…). */
  warnings: z.array(z.string().max(2000)).max(100),
});
export type TrustSection = z.output<typeof TrustSectionSchema>;
