// Signatures and attestations stored in a registry the way cosign stores them, built here from
// cosign's published formats (no cosign binary): the `.sig` manifest (an OCI image config whose
// rootfs names the payloads, one layer per signature of media type
// application/vnd.dev.cosign.simplesigning.v1+json with the base64 signature in the
// `dev.cosignproject.cosign/signature` annotation), the `.att` manifest (one DSSE envelope per
// layer, application/vnd.dsse.envelope.v1+json), the same stored as OCI 1.1 referrers (a
// `subject`), and referrer manifests per the OCI image spec's artifact guidance.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { httpRequest, MediaTypes, sha256Digest } from './oci-image.ts';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE = 'application/vnd.dsse.envelope.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface PushedManifest {
  digest: string;
  bytes: Buffer;
  json: Record<string, unknown>;
}

export function ecdsaKeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** cosign's simple-signing payload for `reference` (repository without tag) at `digest`. */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/** ECDSA/SHA-256 over `data`, base64 (what cosign puts in the signature annotation). */
export function signBase64(privateKey: KeyObject, data: Buffer): string {
  return sign('sha256', data, privateKey).toString('base64');
}

/** DSSE pre-authentication encoding. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const t = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

/** A DSSE envelope over an in-toto statement about `digest`. */
export function dsseEnvelope(privateKey: KeyObject, digest: string, predicateType: string, predicate: unknown): Buffer {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: [{ name: 'image', digest: { sha256: digest.replace(/^sha256:/, '') } }],
      predicate,
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  return Buffer.from(
    JSON.stringify({
      payloadType,
      payload: statement.toString('base64'),
      signatures: [{ keyid: '', sig: signBase64(privateKey, pae(payloadType, statement)) }],
    }),
  );
}

export async function pushBlob(registryUrl: string, repo: string, data: Buffer): Promise<Descriptor> {
  const digest = sha256Digest(data);
  const start = await httpRequest('POST', `${registryUrl}/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status}`);
  const location = new URL(String(start.headers.location), registryUrl);
  location.searchParams.set('digest', digest);
  const put = await httpRequest(
    'PUT',
    location.toString(),
    { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
    data,
  );
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${put.body.toString()}`);
  return { mediaType: 'application/octet-stream', digest, size: data.length };
}

export async function putManifest(
  registryUrl: string,
  repo: string,
  reference: string | undefined,
  json: Record<string, unknown>,
  mediaType: string = MediaTypes.ociManifest,
): Promise<PushedManifest> {
  const bytes = Buffer.from(JSON.stringify(json));
  const digest = sha256Digest(bytes);
  const res = await httpRequest(
    'PUT',
    `${registryUrl}/v2/${repo}/manifests/${reference ?? digest}`,
    { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    bytes,
  );
  if (res.status !== 201) throw new Error(`manifest ${repo}:${reference ?? digest}: HTTP ${res.status} ${res.body.toString()}`);
  return { digest, bytes, json };
}

export interface Layer {
  data: Buffer;
  mediaType: string;
  annotations: Record<string, string>;
}

/**
 * A cosign-shaped manifest (config: an OCI image config whose rootfs lists the layers, as cosign's
 * go-containerregistry image has), with `subject` when stored as a referrer.
 */
export async function pushCosignManifest(
  registryUrl: string,
  repo: string,
  reference: string | undefined,
  layers: Layer[],
  opts: { subject?: Descriptor; artifactType?: string } = {},
): Promise<PushedManifest> {
  const layerDescs: Descriptor[] = [];
  for (const l of layers) {
    const d = await pushBlob(registryUrl, repo, l.data);
    layerDescs.push({ mediaType: l.mediaType, digest: d.digest, size: d.size, annotations: l.annotations });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layerDescs.map((d) => d.digest) },
      config: {},
    }),
  );
  const c = await pushBlob(registryUrl, repo, config);
  return putManifest(registryUrl, repo, reference, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
    config: { mediaType: MediaTypes.ociConfig, size: c.size, digest: c.digest },
    layers: layerDescs,
    ...(opts.subject ? { subject: opts.subject } : {}),
  });
}

/** A cosign signature layer for `digest`, signed with `privateKey`. */
export function signatureLayer(privateKey: KeyObject, reference: string, digest: string, extra: Record<string, string> = {}): Layer {
  const data = simpleSigningPayload(reference, digest);
  return { data, mediaType: SIMPLE_SIGNING, annotations: { 'dev.cosignproject.cosign/signature': signBase64(privateKey, data), ...extra } };
}

/** A cosign attestation layer (cosign leaves the signature annotation empty: it is in the envelope). */
export function attestationLayer(privateKey: KeyObject, digest: string, predicateType = 'https://slsa.dev/provenance/v0.2'): Layer {
  return {
    data: dsseEnvelope(privateKey, digest, predicateType, { builder: { id: 'https://example.test/builder' } }),
    mediaType: DSSE,
    annotations: { 'dev.cosignproject.cosign/signature': '', predicateType },
  };
}

/** `sha256:<hex>` → cosign's tag. */
export function cosignTagOf(digest: string, suffix: '.sig' | '.att' | ''): string {
  return `${digest.replace(':', '-')}${suffix}`;
}

/** The descriptor of a manifest already in the registry (for `subject`). */
export function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}
