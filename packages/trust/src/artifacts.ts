// What discovery hands to verification: each signature or attestation found for a digest, raw
// (bytes and annotations as the registry holds them), with where it was found. Verification
// turns these into the report's SignatureRecord / AttestationRecord (@assay/domain trust.ts).
import type { TrustScope } from '@assay/domain';

/** Where an artifact was found, and which digest it is about. */
export interface ArtifactOrigin {
  /** The digest the artifact is about: the image's manifest, or the index it was reached through. */
  subject: string;
  scope: TrustScope;
  source: 'cosign-tag' | 'referrer';
  /** `<manifest digest>` or `<manifest digest>/<layer digest>`: what the report cites. */
  artifact: string;
}

/** cosign's keyless material, from a layer's annotations (absent for a key signature). */
export interface CosignKeylessMaterial {
  /** `dev.sigstore.cosign/certificate`: the signing certificate, PEM. */
  certificate?: string;
  /** `dev.sigstore.cosign/chain`: intermediate and root certificates, PEM. */
  chain?: string;
  /** `dev.sigstore.cosign/bundle`: the Rekor entry with its signed entry timestamp, JSON text. */
  rekorBundle?: string;
  /** `dev.sigstore.cosign/rfc3161timestamp`: an RFC 3161 timestamp, JSON text. */
  rfc3161Timestamp?: string;
}

/** A layer of a cosign `.sig` manifest (or a cosign signature referrer): simple signing. */
export interface CosignSignatureArtifact extends ArtifactOrigin, CosignKeylessMaterial {
  kind: 'cosign-signature';
  /** The layer blob: the simple-signing payload JSON, exactly as signed. */
  payload: Buffer;
  /** `dev.cosignproject.cosign/signature`: base64 signature over `payload`. */
  signature: string;
}

/** A layer of a cosign `.att` manifest: a DSSE envelope holding an in-toto statement. */
export interface CosignAttestationArtifact extends ArtifactOrigin, CosignKeylessMaterial {
  kind: 'cosign-attestation';
  /** The layer blob: the DSSE envelope JSON. */
  envelope: Buffer;
}

/** A Sigstore bundle (v0.1–v0.3) stored as a referrer artifact. */
export interface BundleArtifact extends ArtifactOrigin {
  kind: 'sigstore-bundle';
  /** The bundle's media type (`application/vnd.dev.sigstore.bundle.v0.3+json`…). */
  mediaType: string;
  /** The bundle JSON. */
  bundle: Buffer;
}

export type DiscoveredArtifact = CosignSignatureArtifact | CosignAttestationArtifact | BundleArtifact;

/** Discovery's answer: what was found, and what could not be looked at or read. */
export interface Discovery {
  artifacts: DiscoveredArtifact[];
  warnings: string[];
}
