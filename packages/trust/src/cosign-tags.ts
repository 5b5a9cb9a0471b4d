// cosign's storage conventions, as cosign writes them: the tags that hold an image's signatures
// and attestations (`sha256-<hex>.sig`, `.att`, beside the OCI referrers fallback tag
// `sha256-<hex>`), the media types of their layers, and the annotations that carry a layer's
// signature and keyless material. Pure: names and shapes only, no registry access.

/** Layer media type of a cosign signature: the simple-signing payload. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** Layer media type of a cosign attestation: a DSSE envelope. */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** Artifact type cosign gives a signature stored as a referrer (OCI 1.1 mode). */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** The annotations of a cosign layer (keys exactly as cosign writes them). */
export const CosignAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

export type CosignTagKind = 'signature' | 'attestation' | 'sbom' | 'referrers';

const SUFFIX: Record<string, CosignTagKind> = { '.sig': 'signature', '.att': 'attestation', '.sbom': 'sbom', '': 'referrers' };

/** `sha256:<hex>` → `sha256-<hex>.sig` (cosign's tag for the signatures of that digest). */
export function cosignTag(digest: string, kind: 'signature' | 'attestation'): string {
  return `${digest.replace(':', '-')}${kind === 'signature' ? '.sig' : '.att'}`;
}

/**
 * What a tag named after a digest holds, and the digest it is about: `sha256-<hex>.sig` (cosign
 * signatures), `.att` (attestations), `.sbom` (an attached SBOM), or bare `sha256-<hex>` (the
 * OCI referrers fallback index). undefined for any other tag.
 */
export function parseCosignTag(tag: string): { kind: CosignTagKind; subject: string } | undefined {
  const m = /^(sha256|sha512)-([a-f0-9]{64}|[a-f0-9]{128})(\.sig|\.att|\.sbom)?$/.exec(tag);
  if (!m) return undefined;
  const [, algorithm, hex, suffix] = m;
  if ((algorithm === 'sha256') !== (hex!.length === 64)) return undefined;
  return { kind: SUFFIX[suffix ?? '']!, subject: `${algorithm}:${hex}` };
}

/** A Sigstore bundle media type, any version (v0.1–v0.3, both spellings of v0.3). */
export function isBundleMediaType(mediaType: string | undefined): boolean {
  const m = mediaType?.trim().toLowerCase().replace(/\s+/g, '');
  if (!m) return false;
  return (
    /^application\/vnd\.dev\.sigstore\.bundle\+json;version=\d+\.\d+$/.test(m) ||
    /^application\/vnd\.dev\.sigstore\.bundle\.v\d+\.\d+\+json$/.test(m)
  );
}
