// Trusted roots for keyless verification: the Sigstore public-good root exactly as @sigstore/tuf
// ships it (the trusted_root.json embedded in its TUF seeds — read from disk, never fetched: scans
// run air-gapped), and private trusted_root.json documents an operator supplies. Each root is named
// by the hash of its document (`public-good@<12 hex>`), so a report says which root vouched for a
// certificate and a cache keyed on the ids is invalidated when a root changes.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { isObject } from '@assay/kit';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';

/** One trusted root, ready for @sigstore/verify. */
export interface TrustedRootMaterial {
  /** `public-good@<12 hex>` or `private@<12 hex>`: the sha256 of the trusted_root.json bytes. */
  id: string;
  material: TrustMaterial;
  /** Whether the root lists certificate-transparency logs (then an SCT is required). */
  hasCtlogs: boolean;
}

export interface TrustedRoots {
  /** e.g. ['public-good@<12 hex>', 'private@<12 hex>'], in the order roots are tried. */
  ids: string[];
  roots: TrustedRootMaterial[];
}

export class TrustedRootError extends Error {
  override name = 'TrustedRootError';
}

/** Where @sigstore/tuf keeps its seeds, and the TUF mirror whose embedded targets we read. */
const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const TRUSTED_ROOT_MEDIA_PREFIX = 'application/vnd.dev.sigstore.trustedroot';
/** A trusted root is a few tens of kB; anything far larger is not one. */
const MAX_DOCUMENT_BYTES = 5_000_000;

let publicGood: TrustedRootMaterial | undefined;

/**
 * The Sigstore public-good trusted root as @sigstore/tuf ships it, and/or private trusted_root.json
 * documents (named by `name` in errors). A document that is not a valid trusted root throws a
 * TrustedRootError naming the document and the field.
 */
export function loadTrustedRoots(opts: { publicGood: boolean; documents?: readonly { name: string; json: string }[] }): TrustedRoots {
  const roots: TrustedRootMaterial[] = [];
  if (opts.publicGood) roots.push((publicGood ??= loadPublicGood()));
  for (const doc of opts.documents ?? []) roots.push(loadDocument(doc.name, doc.json, 'private'));
  return { ids: roots.map((r) => r.id), roots };
}

function loadPublicGood(): TrustedRootMaterial {
  // The seeds file is data, not code: resolve it beside @sigstore/tuf's package.json.
  const require = createRequire(import.meta.url);
  const seeds: unknown = require('@sigstore/tuf/seeds.json');
  const target = isObject(seeds) && isObject(seeds[PUBLIC_GOOD_MIRROR]) ? seeds[PUBLIC_GOOD_MIRROR].targets : undefined;
  const encoded = isObject(target) ? target['trusted_root.json'] : undefined;
  if (typeof encoded !== 'string') {
    throw new TrustedRootError('@sigstore/tuf seeds hold no trusted_root.json for the public-good instance');
  }
  return loadDocument('the public-good trusted root', Buffer.from(encoded, 'base64').toString('utf8'), 'public-good');
}

function loadDocument(name: string, json: string, kind: 'public-good' | 'private'): TrustedRootMaterial {
  const fail = (field: string, why: string): never => {
    throw new TrustedRootError(`${name}: ${field ? `${field}: ` : ''}${why}`);
  };
  if (Buffer.byteLength(json) > MAX_DOCUMENT_BYTES) fail('', `larger than ${MAX_DOCUMENT_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return fail('', `not JSON (${(err as Error).message})`);
  }
  validateTrustedRoot(doc, fail);
  let material: TrustMaterial;
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(doc);
    material = toTrustMaterial(root);
  } catch (err) {
    return fail('', `not a usable trusted root (${(err as Error).message})`);
  }
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 12);
  return { id: `${kind}@${hash}`, material, hasCtlogs: root.ctlogs.length > 0 };
}

type Fail = (field: string, why: string) => never;

/** The fields @sigstore/verify relies on, checked so a bad document names its bad field. */
function validateTrustedRoot(doc: unknown, fail: Fail): void {
  if (!isObject(doc)) fail('', 'not a JSON object');
  const root = doc as Record<string, unknown>;
  if (typeof root.mediaType !== 'string' || !root.mediaType.startsWith(TRUSTED_ROOT_MEDIA_PREFIX)) {
    fail('mediaType', `expected ${TRUSTED_ROOT_MEDIA_PREFIX}…, got ${JSON.stringify(root.mediaType)}`);
  }
  const cas = listOf(root, 'certificateAuthorities', fail);
  if (cas.length === 0) fail('certificateAuthorities', 'empty: no Fulcio CA to verify certificates against');
  cas.forEach((ca, i) => validateAuthority(ca, `certificateAuthorities[${i}]`, fail));
  listOf(root, 'timestampAuthorities', fail).forEach((ca, i) => validateAuthority(ca, `timestampAuthorities[${i}]`, fail));
  listOf(root, 'tlogs', fail).forEach((log, i) => validateLog(log, `tlogs[${i}]`, fail));
  listOf(root, 'ctlogs', fail).forEach((log, i) => validateLog(log, `ctlogs[${i}]`, fail));
}

function listOf(root: Record<string, unknown>, field: string, fail: Fail): unknown[] {
  const value = root[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(field, 'expected an array');
  if (value.length > 100) fail(field, 'more than 100 entries');
  return value;
}

function validateAuthority(ca: unknown, at: string, fail: Fail): void {
  if (!isObject(ca)) fail(at, 'expected an object');
  const chain = (ca as Record<string, unknown>).certChain;
  const certs = isObject(chain) ? chain.certificates : undefined;
  if (!Array.isArray(certs) || certs.length === 0) fail(`${at}.certChain.certificates`, 'expected a non-empty array');
  (certs as unknown[]).forEach((cert, j) => {
    const field = `${at}.certChain.certificates[${j}].rawBytes`;
    const raw = base64Field(isObject(cert) ? cert.rawBytes : undefined, field, fail);
    try {
      X509Certificate.parse(raw as Buffer<ArrayBuffer>);
    } catch (err) {
      fail(field, `not a DER X.509 certificate (${(err as Error).message})`);
    }
  });
  validateValidFor((ca as Record<string, unknown>).validFor, `${at}.validFor`, fail);
}

function validateLog(log: unknown, at: string, fail: Fail): void {
  if (!isObject(log)) fail(at, 'expected an object');
  const { logId, publicKey } = log as Record<string, unknown>;
  base64Field(isObject(logId) ? logId.keyId : undefined, `${at}.logId.keyId`, fail);
  if (!isObject(publicKey)) return fail(`${at}.publicKey`, 'expected an object');
  base64Field(publicKey.rawBytes, `${at}.publicKey.rawBytes`, fail);
  if (typeof publicKey.keyDetails !== 'string') fail(`${at}.publicKey.keyDetails`, 'expected a key type name');
  validateValidFor(publicKey.validFor, `${at}.publicKey.validFor`, fail);
}

function validateValidFor(validFor: unknown, at: string, fail: Fail): void {
  if (validFor === undefined) return;
  if (!isObject(validFor)) return fail(at, 'expected an object');
  for (const end of ['start', 'end'] as const) {
    const value = validFor[end];
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      fail(`${at}.${end}`, 'expected an RFC 3339 timestamp');
    }
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function base64Field(value: unknown, field: string, fail: Fail): Buffer {
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) return fail(field, 'expected base64');
  return Buffer.from(value, 'base64');
}
