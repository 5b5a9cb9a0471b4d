// Public keys as policies name them: parsed from PEM once, named by the SHA-256 of their SPKI
// encoding (what `cosign public-key` users compare), and checked against signed bytes with the
// hash each key type uses (ECDSA P-256 → SHA-256, P-384 → SHA-384, RSA → SHA-256, Ed25519 → none).
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface PublicKey {
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo. */
  fingerprint: string;
  /** ecdsa-p256, ecdsa-p384, ed25519, rsa-<bits>. */
  algorithm: string;
  key: KeyObject;
}

export class KeyError extends Error {
  override name = 'KeyError';
}

/** A PEM public key; KeyError when it is not one, or of a type Assay does not verify with. */
export function parsePublicKey(pem: string): PublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new KeyError(`not a PEM public key: ${(err as Error).message}`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  const fingerprint = `sha256:${createHash('sha256').update(der).digest('hex')}`;
  return { fingerprint, algorithm: algorithmOf(key), key };
}

function algorithmOf(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'rsa') return `rsa-${key.asymmetricKeyDetails?.modulusLength ?? 0}`;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256';
    if (curve === 'secp384r1') return 'ecdsa-p384';
    throw new KeyError(`EC curve ${curve ?? 'unknown'} is not supported (P-256 or P-384)`);
  }
  throw new KeyError(`key type ${type ?? 'unknown'} is not supported (ECDSA P-256/P-384, Ed25519, RSA)`);
}

/** The digest a key type signs with; null for Ed25519 (which hashes internally). */
function hashOf(algorithm: string): string | null {
  if (algorithm === 'ed25519') return null;
  if (algorithm === 'ecdsa-p384') return 'sha384';
  return 'sha256';
}

/** Whether `signature` is `key`'s over `signed`. A malformed signature is false, never a throw. */
export function verifySignature(key: PublicKey, signed: Buffer, signature: Buffer): boolean {
  try {
    return verify(hashOf(key.algorithm), signed, key.key, signature);
  } catch {
    return false;
  }
}
