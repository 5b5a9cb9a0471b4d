// DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): how cosign and
// Sigstore bundles carry an in-toto statement with its signatures. The signatures are over the
// pre-authentication encoding (PAE) of type and payload, never over the payload alone, so the
// type cannot be swapped under a signature; `pae` builds those exact bytes.
import { isObject } from '@assay/kit';
import { TrustFormatError } from './errors.ts';

/** cosign attaches SBOMs as attestations; 32 MiB covers real ones and bounds what one layer may cost. */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;
/** More signatures than this on one envelope is not a real signer set. */
export const MAX_ENVELOPE_SIGNATURES = 20;

/** The in-toto statement payload type. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid?: string;
  sig: Buffer;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: DsseSignature[];
}

// DSSE allows standard or URL-safe base64; Buffer.from would silently skip anything else.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64(value: unknown, path: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new TrustFormatError(`DSSE envelope: ${path} is not base64`);
  return Buffer.from(value, 'base64');
}

/**
 * A DSSE envelope from its JSON bytes, or from an already-parsed object (a Sigstore bundle's
 * `dsseEnvelope`): `{payloadType, payload (base64), signatures: [{keyid?, sig (base64)}]}`.
 */
export function parseEnvelope(input: Buffer | unknown): DsseEnvelope {
  let doc = input;
  if (Buffer.isBuffer(input)) {
    if (input.length > MAX_ENVELOPE_BYTES) {
      throw new TrustFormatError(`DSSE envelope of ${input.length} bytes is larger than ${MAX_ENVELOPE_BYTES}`);
    }
    try {
      doc = JSON.parse(input.toString('utf8'));
    } catch (err) {
      throw new TrustFormatError(`DSSE envelope is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(doc)) throw new TrustFormatError('DSSE envelope is not a JSON object');
  const { payloadType, payload, signatures } = doc;
  if (typeof payloadType !== 'string' || payloadType === '' || payloadType.length > 200) {
    throw new TrustFormatError('DSSE envelope: payloadType is missing or not a short string');
  }
  const body = base64(payload, 'payload');
  if (body.length === 0) throw new TrustFormatError('DSSE envelope: payload is empty');
  if (!Array.isArray(signatures) || signatures.length === 0) {
    throw new TrustFormatError('DSSE envelope: signatures is missing or empty');
  }
  if (signatures.length > MAX_ENVELOPE_SIGNATURES) {
    throw new TrustFormatError(`DSSE envelope: more than ${MAX_ENVELOPE_SIGNATURES} signatures`);
  }
  const sigs = signatures.map((s: unknown, i): DsseSignature => {
    if (!isObject(s)) throw new TrustFormatError(`DSSE envelope: signatures[${i}] is not an object`);
    const sig = base64(s['sig'], `signatures[${i}].sig`);
    if (sig.length === 0) throw new TrustFormatError(`DSSE envelope: signatures[${i}].sig is empty`);
    const keyid = s['keyid'];
    if (keyid !== undefined && keyid !== null && typeof keyid !== 'string') {
      throw new TrustFormatError(`DSSE envelope: signatures[${i}].keyid is not a string`);
    }
    // cosign writes `"keyid":""`: no hint, the same as none.
    return typeof keyid === 'string' && keyid !== '' ? { keyid: keyid.slice(0, 500), sig } : { sig };
  });
  return { payloadType, payload: body, signatures: sigs };
}

/** DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}
