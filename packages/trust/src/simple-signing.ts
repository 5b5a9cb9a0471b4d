// cosign's simple-signing payload: the JSON a cosign key or keyless signature signs, naming the
// image's manifest digest (and the repository it was signed for). The digest is what makes a
// signature about THIS image; the reference is what a policy may check against a copy elsewhere.
// Format: the containers/image "simple signing" payload as cosign writes it (specs/SIGNATURE_SPEC.md):
//   {"critical":{"identity":{"docker-reference":"…"},"image":{"docker-manifest-digest":"sha256:…"},
//    "type":"cosign container image signature"},"optional":{…}|null}
import { isObject } from '@assay/kit';
import { TrustFormatError } from './errors.ts';

/** `critical.type` of every cosign image signature. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** A payload is a few hundred bytes; annotations in `optional` may add some. Anything bigger is not one. */
export const MAX_SIMPLE_SIGNING_BYTES = 64 * 1024;

export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference`: the repository (and tag) the signer signed for. */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`: `sha256:<hex>`. */
  manifestDigest: string;
  /** `critical.type`: always COSIGN_SIGNATURE_TYPE. */
  type: string;
  /** `optional`: the signer's annotations (`-a key=value`), when any. */
  optional?: Record<string, unknown>;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/**
 * A field by name. cosign reads the payload with Go's encoding/json, which matches names without
 * regard to case (the spec's own example spells `Docker-manifest-digest`); so does this, but two
 * spellings of one name are refused rather than guessed between.
 */
function field(obj: Record<string, unknown>, name: string, path: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const found = Object.keys(obj).filter((k) => k.toLowerCase() === name);
  if (found.length > 1) throw new TrustFormatError(`simple-signing payload: ${path} is given twice (${found.join(', ')})`);
  return found.length === 1 ? obj[found[0]!] : undefined;
}

function object(obj: Record<string, unknown>, name: string, path: string): Record<string, unknown> {
  const value = field(obj, name, path);
  if (!isObject(value)) throw new TrustFormatError(`simple-signing payload: ${path} is missing or not an object`);
  return value;
}

function string(obj: Record<string, unknown>, name: string, path: string, max: number): string {
  const value = field(obj, name, path);
  if (typeof value !== 'string') throw new TrustFormatError(`simple-signing payload: ${path} is missing or not a string`);
  if (value.length > max) throw new TrustFormatError(`simple-signing payload: ${path} is longer than ${max} characters`);
  return value;
}

/** The payload's fields; TrustFormatError naming what is wrong when it is not a cosign simple-signing payload. */
export function parseSimpleSigning(bytes: Buffer): SimpleSigningPayload {
  if (bytes.length > MAX_SIMPLE_SIGNING_BYTES) {
    throw new TrustFormatError(`simple-signing payload of ${bytes.length} bytes is larger than ${MAX_SIMPLE_SIGNING_BYTES}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TrustFormatError(`simple-signing payload is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new TrustFormatError('simple-signing payload is not a JSON object');
  const critical = object(doc, 'critical', 'critical');
  const type = string(critical, 'type', 'critical.type', 200);
  if (type !== COSIGN_SIGNATURE_TYPE) {
    throw new TrustFormatError(`simple-signing payload: critical.type is "${type.slice(0, 100)}", not "${COSIGN_SIGNATURE_TYPE}"`);
  }
  const identity = object(critical, 'identity', 'critical.identity');
  const dockerReference = string(identity, 'docker-reference', 'critical.identity.docker-reference', 1000);
  const image = object(critical, 'image', 'critical.image');
  const manifestDigest = string(image, 'docker-manifest-digest', 'critical.image.docker-manifest-digest', 300);
  if (!DIGEST.test(manifestDigest)) {
    throw new TrustFormatError(`simple-signing payload: critical.image.docker-manifest-digest "${manifestDigest}" is not a digest`);
  }
  const optional = field(doc, 'optional', 'optional');
  if (optional !== undefined && optional !== null && !isObject(optional)) {
    throw new TrustFormatError('simple-signing payload: optional is neither an object nor null');
  }
  return { dockerReference, manifestDigest, type, ...(isObject(optional) ? { optional } : {}) };
}
