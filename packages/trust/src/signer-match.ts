// Whether a signer a policy trusts signed a record the scanner kept, and how both are named in a
// verdict's reasons. Pure and memoised: the policy engine re-evaluates thousands of reports
// against the same few keys, so a PEM is parsed once, a (payload, signature, key) triple is
// verified once, and an identity regexp is compiled once.
import { createHash } from 'node:crypto';
import type { KeyedMaterial, KeylessResult, TrustedSigner } from '@assay/domain';
import { boundedMemo, TtlLru } from '@assay/kit';
import { parsePublicKey, verifySignature, type PublicKey } from './keys.ts';

/** What a signature or attestation record carries for matching (a SignatureRecord or AttestationRecord fits). */
export interface SignedRecord {
  keyless?: KeylessResult;
  keyed?: KeyedMaterial;
  error?: string;
}

/** Parsed policy keys, by PEM; a PEM that does not parse is remembered as its KeyError. */
const parsedKey = boundedMemo<PublicKey>(1_000, (pem) => parsePublicKey(pem));

/** Policy regexps, anchored to the whole string: `a@example.com` must not match `evil-a@example.com.evil`. */
const anchored = boundedMemo<RegExp>(1_000, (source) => new RegExp(`^(?:${source})$`));

/**
 * Verification results by (sha256 of the signed text, signature, key fingerprint). An LRU with no
 * expiry: a result never goes stale (same bytes, same key, same answer), only out of room.
 */
const verified = new TtlLru<boolean>(20_000);

function keyOf(pem: string): PublicKey | undefined {
  try {
    return parsedKey(pem);
  } catch {
    return undefined; // validated policies hold PEM keys; one Node cannot use simply signs nothing
  }
}

function keyVerifies(key: PublicKey, keyed: KeyedMaterial): boolean {
  // Hashing the base64 text (not the decoded bytes) names the same bytes, and costs no decode on a hit.
  const signedHash = createHash('sha256').update(keyed.signed).digest('hex');
  const signed = () => Buffer.from(keyed.signed, 'base64');
  let bytes: Buffer | undefined;
  for (const signature of keyed.signatures) {
    const memoKey = `${signedHash}\n${signature}\n${key.fingerprint}`;
    let hit = verified.get(memoKey)?.value;
    if (hit === undefined) {
      bytes ??= signed();
      hit = verifySignature(key, bytes, Buffer.from(signature, 'base64'));
      verified.set(memoKey, hit, Number.POSITIVE_INFINITY);
    }
    if (hit) return true;
  }
  return false;
}

function matches(value: string | undefined, exact: string | undefined, regexp: string | undefined): boolean {
  if (value === undefined) return false;
  if (exact !== undefined) return value === exact;
  if (regexp === undefined) return false;
  try {
    return anchored(regexp).test(value);
  } catch {
    return false; // refused at policy write time; never trusted if one slips through
  }
}

/**
 * Whether `signer` signed `record`: a key verifies one of record.keyed.signatures over
 * record.keyed.signed; a keyless identity matches a VERIFIED record.keyless (identity exact or
 * regexp, anchored to the whole string, and issuer exact or regexp). A record with `error`
 * matches nobody.
 */
export function matchSigner(signer: TrustedSigner, record: SignedRecord): boolean {
  if (record.error !== undefined) return false;
  if (signer.key !== undefined) {
    if (!record.keyed || record.keyed.signatures.length === 0) return false;
    const key = keyOf(signer.key);
    return key !== undefined && keyVerifies(key, record.keyed);
  }
  const want = signer.keyless;
  const got = record.keyless;
  if (!want || !got || got.verified !== true) return false;
  return matches(got.identity, want.identity, want.identityRegexp) && matches(got.issuer, want.issuer, want.issuerRegexp);
}

/**
 * How a signer is named in reasons: its `name`, else `key sha256:ab12cd34ef56…` (12 hex) or
 * `alice@example.com (issuer https://…)` (`identity matching <re>` / `issuer matching <re>` for regexps).
 */
export function signerLabel(signer: TrustedSigner): string {
  if (signer.name !== undefined) return signer.name;
  if (signer.key !== undefined) {
    const key = keyOf(signer.key);
    return key ? `key ${key.fingerprint.slice(0, 'sha256:'.length + 12)}…` : 'a key that is not a usable public key';
  }
  const k = signer.keyless;
  if (!k) return 'an unnamed signer';
  const who = k.identity ?? `identity matching ${k.identityRegexp ?? ''}`;
  const issuer = k.issuer !== undefined ? `issuer ${k.issuer}` : `issuer matching ${k.issuerRegexp ?? ''}`;
  return `${who} (${issuer})`;
}

/**
 * Who signed it, as found, for reasons. A key signature names no key (only the key that verifies
 * it could), so it is `a key signature` (with the signer's key id hint, if any); keyless is
 * `alice@example.com (https://github.com/login/oauth)`, or `a keyless certificate that did not verify: <error>`.
 */
export function describeSignature(record: SignedRecord): string {
  if (record.error !== undefined) return `an unusable artifact: ${record.error}`;
  const k = record.keyless;
  if (k) {
    if (!k.verified) return `a keyless certificate that did not verify: ${k.error ?? 'no reason given'}`;
    return `${k.identity ?? 'a certificate with no identity'} (${k.issuer ?? 'no issuer'})`;
  }
  if (record.keyed) {
    return record.keyed.keyHint !== undefined ? `a key signature (key id ${record.keyed.keyHint})` : 'a key signature';
  }
  return 'a signature with neither a key signature nor a certificate';
}
