// Sigstore bundles (v0.1, v0.2, v0.3 media types) read and validated by @sigstore/bundle, with
// what each one signs made plain: a DSSE envelope (an in-toto statement, usually), or a message
// signature over an artifact known only by its digest. A keyed bundle (a public-key hint instead of
// a certificate) yields the material a policy's key is later checked against (bundleKeyedMaterial).
import { createHash } from 'node:crypto';
import { isObject } from '@assay/kit';
import {
  assertBundleLatest,
  assertBundleV01,
  assertBundleV02,
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';

export class BundleError extends Error {
  override name = 'BundleError';
}

/** A bundle is a few kB (a certificate chain, a log entry, an envelope); cap what is parsed. */
const MAX_BUNDLE_BYTES = 4_000_000;

export interface DsseSigned {
  kind: 'dsse';
  envelope: { payloadType: string; payload: Buffer; signatures: { keyid: string; sig: Buffer }[] };
}

export interface MessageSigned {
  kind: 'message';
  digest: { algorithm: string; value: Buffer };
  signature: Buffer;
}

export interface ParsedBundle {
  /** The validated bundle, as @sigstore/verify takes it. */
  bundle: Bundle;
  mediaType: string;
  /** What it signs. */
  content: DsseSigned | MessageSigned;
}

const HASH_NAMES: Partial<Record<number, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
  [HashAlgorithm.SHA3_256]: 'sha3-256',
  [HashAlgorithm.SHA3_384]: 'sha3-384',
};

/**
 * A Sigstore bundle from its JSON bytes (or already-parsed JSON), validated for its media type;
 * BundleError when it is not JSON, too large, or not a valid bundle (the validator's reason).
 */
export function parseBundle(input: Buffer | unknown): ParsedBundle {
  let json: unknown = input;
  if (Buffer.isBuffer(input)) {
    if (input.length > MAX_BUNDLE_BYTES) throw new BundleError(`bundle larger than ${MAX_BUNDLE_BYTES} bytes`);
    try {
      json = JSON.parse(input.toString('utf8'));
    } catch (err) {
      throw new BundleError(`bundle is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(json)) throw new BundleError('bundle is not a JSON object');
  let bundle: Bundle;
  try {
    // Already a parsed bundle (ParsedBundle.bundle, bytes as Buffers): validate it as it is.
    bundle = isParsed(json) ? validated(json) : bundleFromJSON(json);
  } catch (err) {
    const fields = (err as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) && fields.length > 0 ? ` (${fields.slice(0, 5).join(', ')})` : '';
    throw new BundleError(`not a valid Sigstore bundle: ${(err as Error).message}${detail}`);
  }
  return { bundle, mediaType: bundle.mediaType, content: signedContent(bundle) };
}

function isParsed(json: Record<string, unknown>): boolean {
  return isObject(json.content) && typeof json.content.$case === 'string';
}

/** The same validation bundleFromJSON applies after decoding, for a bundle already decoded. */
function validated(json: Record<string, unknown>): Bundle {
  const bundle = json as unknown as Bundle;
  if (bundle.mediaType === BUNDLE_V01_MEDIA_TYPE) assertBundleV01(bundle);
  else if (bundle.mediaType === BUNDLE_V02_MEDIA_TYPE) assertBundleV02(bundle);
  else assertBundleLatest(bundle);
  return bundle;
}

function signedContent(bundle: Bundle): DsseSigned | MessageSigned {
  const content = bundle.content;
  if (content.$case === 'dsseEnvelope') {
    const env = content.dsseEnvelope;
    return {
      kind: 'dsse',
      envelope: {
        payloadType: env.payloadType,
        payload: Buffer.from(env.payload),
        signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig) })),
      },
    };
  }
  const message = content.messageSignature;
  const digest = message.messageDigest;
  if (!digest) throw new BundleError('message signature bundle without a message digest');
  return {
    kind: 'message',
    digest: { algorithm: HASH_NAMES[digest.algorithm] ?? 'sha256', value: Buffer.from(digest.digest) },
    signature: Buffer.from(message.signature),
  };
}

/** What a key signature in a bundle gives a policy's key to check. */
export interface BundleKeyedMaterial {
  /** The exact signed bytes: the DSSE PAE, or the artifact of a message signature. */
  signed: Buffer;
  signatures: Buffer[];
  /** The bundle's public-key hint (or the DSSE signature's keyid). */
  keyHint?: string;
}

/**
 * The signed bytes and signatures of a bundle, for checking against a key at policy time. For a
 * DSSE envelope the signed bytes are its PAE, complete in the bundle. A message signature covers an
 * artifact the bundle holds only the digest of: it needs `artifact` (whose digest must be the one
 * the bundle names), and without it this throws a BundleError — a message signature over unknown
 * bytes cannot be checked by a key.
 */
export function bundleKeyedMaterial(input: unknown, artifact?: Buffer): BundleKeyedMaterial {
  const { bundle, content: signed } = parseBundle(input);
  const vm = bundle.verificationMaterial.content;
  const bundleHint = vm.$case === 'publicKey' && vm.publicKey.hint ? vm.publicKey.hint : undefined;
  if (signed.kind === 'dsse') {
    const { payloadType, payload, signatures } = signed.envelope;
    const keyHint = bundleHint ?? signatures.find((s) => s.keyid)?.keyid;
    return {
      signed: dsse.preAuthEncoding(payloadType, payload),
      signatures: signatures.map((s) => s.sig),
      ...(keyHint ? { keyHint } : {}),
    };
  }
  if (!artifact) throw new BundleError('message signature: the signed artifact is needed, the bundle holds only its digest');
  const actual = createHash(signed.digest.algorithm).update(artifact).digest();
  if (!actual.equals(signed.digest.value)) {
    throw new BundleError(`message signature is over another artifact (${signed.digest.algorithm} differs)`);
  }
  return { signed: artifact, signatures: [signed.signature], ...(bundleHint ? { keyHint: bundleHint } : {}) };
}
