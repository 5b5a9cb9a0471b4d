// cosign's storage conventions, as cosign writes them: the tag that holds an image's signatures
// or attestations (`sha256-<hex>.sig`, `.att`) and the annotations that carry a layer's signature
// and keyless material. The media types and the grammar of tags named after a digest belong to
// the registry (`MediaTypes`, `artifactTagSubject` of @assay/registry-client: the watcher reads
// them too). Pure: names and shapes only, no registry access.

/** The annotations of a cosign layer (keys exactly as cosign writes them). */
export const CosignAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** `sha256:<hex>` → `sha256-<hex>.sig` (cosign's tag for the signatures of that digest). */
export function cosignTag(digest: string, kind: 'signature' | 'attestation'): string {
  return `${digest.replace(':', '-')}${kind === 'signature' ? '.sig' : '.att'}`;
}
