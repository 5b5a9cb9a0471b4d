// @assay/trust: who built an image. Signatures and attestations are discovered for a digest
// (cosign's tag scheme, OCI 1.1 referrers and their fallback tag, Sigstore bundles) and verified
// offline: keys (ECDSA, Ed25519, RSA), keyless certificates against a trusted root (the Sigstore
// libraries), in-toto statements in DSSE envelopes with their predicates. No bus, no store.
export { KeyError, parsePublicKey, verifySignature, type PublicKey } from './keys.ts';
export type {
  ArtifactOrigin,
  BundleArtifact,
  CosignAttestationArtifact,
  CosignKeylessMaterial,
  CosignSignatureArtifact,
  DiscoveredArtifact,
  Discovery,
} from './artifacts.ts';
export { describeSignature, matchSigner, signerLabel, type SignedRecord } from './signer-match.ts';
export {
  discoverArtifacts,
  type DiscoveryLimits,
  type DiscoverySubject,
  type TrustManifest,
  type TrustReferrer,
  type TrustSource,
} from './discovery.ts';
export { CosignAnnotations, cosignTag } from './cosign-tags.ts';
export { loadTrustedRoots, TrustedRootError, type TrustedRootMaterial, type TrustedRoots } from './trusted-root.ts';
export {
  BundleError,
  bundleKeyedMaterial,
  parseBundle,
  type BundleKeyedMaterial,
  type DsseSigned,
  type MessageSigned,
  type ParsedBundle,
} from './bundle.ts';
export { bundleFromCosign, KEY_SIGNATURE_ERROR, verifyKeyless } from './keyless.ts';
export { TrustFormatError } from './errors.ts';
export { COSIGN_SIGNATURE_TYPE, MAX_SIMPLE_SIGNING_BYTES, parseSimpleSigning, type SimpleSigningPayload } from './simple-signing.ts';
export { IN_TOTO_PAYLOAD_TYPE, MAX_ENVELOPE_BYTES, pae, parseEnvelope, type DsseEnvelope, type DsseSignature } from './dsse.ts';
export {
  kindOfPredicate,
  PREDICATE_TYPES,
  predicateTypeOf,
  parseStatement,
  statementNames,
  STATEMENT_TYPES,
  type Statement,
  type Subject,
} from './in-toto.ts';
export { summarisePredicate, type PredicateSummary } from './predicates.ts';
export { splitSourceUri, summariseProvenance } from './slsa-provenance.ts';
export { MAX_VEX_STATEMENTS, summariseOpenVex } from './openvex.ts';
export { COSIGN_SIGN_PREDICATE, MAX_KEPT_SIGNED_BYTES, recordOf, type ArtifactRecord, type ManifestBytes } from './records.ts';
export { verifyImageTrust, type VerifyImageOptions } from './verify-image.ts';
export { boundedList, signerOf, summariseTrust, type TrustOverview } from './summary.ts';
