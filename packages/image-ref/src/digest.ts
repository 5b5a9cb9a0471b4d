// Content digests `algorithm:hex` (OCI image spec, descriptor.md). The grammar admits any
// algorithm; only registered ones can be verified, so others are refused rather than trusted.
import { InvalidReferenceError } from './errors.ts';

/** Registered algorithms and the length of their lowercase hex encoding. */
export const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const ALGORITHM = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const HEX = /^[a-f0-9]+$/;

export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** Splits and validates a digest; `context` is the text named in the error (the whole reference). */
export function parseDigest(digest: string, context: string = digest): ParsedDigest {
  const colon = digest.indexOf(':');
  if (colon <= 0) throw new InvalidReferenceError(context, `digest "${digest}" must be "algorithm:hex"`);
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!ALGORITHM.test(algorithm)) throw new InvalidReferenceError(context, `digest algorithm "${algorithm}" is malformed`);
  const want = DIGEST_HEX_LENGTHS[algorithm];
  if (want === undefined) throw new InvalidReferenceError(context, `unsupported digest algorithm "${algorithm}"`);
  if (!HEX.test(hex)) throw new InvalidReferenceError(context, `digest hex of ${algorithm} must be lowercase hexadecimal`);
  if (hex.length !== want) {
    throw new InvalidReferenceError(context, `invalid ${algorithm} digest length ${hex.length} (want ${want} hex characters)`);
  }
  return { algorithm, hex };
}

export function isValidDigest(digest: string): boolean {
  try {
    parseDigest(digest);
    return true;
  } catch {
    return false;
  }
}
