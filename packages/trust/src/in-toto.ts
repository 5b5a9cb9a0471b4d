// in-toto Statements (v0.1 and v1): what an attestation says, about which artifacts. The subject
// list is what ties an attestation to an image (its manifest digest must be among them); the
// predicate type says what kind of claim it is (SLSA provenance, an SBOM, VEX, a scan), by URI,
// which cosign's users write by short name (`--type slsaprovenance`).
import type { AttestationKind } from '@assay/domain';
import { isObject } from '@assay/kit';
import { IN_TOTO_PAYLOAD_TYPE, MAX_ENVELOPE_BYTES } from './dsse.ts';
import { TrustFormatError } from './errors.ts';

export const STATEMENT_TYPES = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'] as const;

/** A statement about more artifacts than this is not about one image. */
export const MAX_SUBJECTS = 1000;

export interface Subject {
  /** The artifact's name (the repository, for cosign); may be empty in v1. */
  name: string;
  /** Algorithm → lowercase hex (`sha256` → `…`). */
  digest: Record<string, string>;
}

export interface Statement {
  type: (typeof STATEMENT_TYPES)[number];
  subjects: Subject[];
  predicateType: string;
  /** The predicate as parsed JSON (an object, or cosign's legacy SPDX text as a string); null when absent. */
  predicate: unknown;
}

function subjectOf(s: unknown, i: number): Subject {
  if (!isObject(s)) throw new TrustFormatError(`in-toto statement: subject[${i}] is not an object`);
  const name = s['name'] ?? '';
  if (typeof name !== 'string') throw new TrustFormatError(`in-toto statement: subject[${i}].name is not a string`);
  const d = s['digest'];
  if (!isObject(d) || Object.keys(d).length === 0) {
    throw new TrustFormatError(`in-toto statement: subject[${i}].digest is missing or empty`);
  }
  const digest: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(d)) {
    if (typeof hex !== 'string') throw new TrustFormatError(`in-toto statement: subject[${i}].digest.${alg} is not a string`);
    digest[alg.toLowerCase()] = hex.toLowerCase();
  }
  return { name: name.slice(0, 2000), digest };
}

/**
 * The statement in a DSSE payload. When the envelope's payloadType is given it must be in-toto's.
 * TrustFormatError naming the field when it is not a statement.
 */
export function parseStatement(payload: Buffer, payloadType?: string): Statement {
  if (payloadType !== undefined && payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new TrustFormatError(`payload type is ${payloadType.slice(0, 200)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (payload.length > MAX_ENVELOPE_BYTES) throw new TrustFormatError(`in-toto statement of ${payload.length} bytes is too large`);
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new TrustFormatError(`in-toto statement is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new TrustFormatError('in-toto statement is not a JSON object');
  const type = doc['_type'];
  if (!STATEMENT_TYPES.includes(type as Statement['type'])) {
    throw new TrustFormatError(`in-toto statement: _type is ${JSON.stringify(type)?.slice(0, 200)}, not ${STATEMENT_TYPES.join(' or ')}`);
  }
  const subject = doc['subject'];
  if (!Array.isArray(subject) || subject.length === 0) throw new TrustFormatError('in-toto statement: subject is missing or empty');
  if (subject.length > MAX_SUBJECTS) throw new TrustFormatError(`in-toto statement: more than ${MAX_SUBJECTS} subjects`);
  const predicateType = doc['predicateType'];
  if (typeof predicateType !== 'string' || predicateType === '' || predicateType.length > 1000) {
    throw new TrustFormatError('in-toto statement: predicateType is missing or not a string');
  }
  return {
    type: type as Statement['type'],
    subjects: subject.map(subjectOf),
    predicateType,
    predicate: doc['predicate'] ?? null,
  };
}

/** Whether the statement names `digest` (`sha256:<hex>`) among its subjects. */
export function statementNames(statement: Statement, digest: string): boolean {
  const colon = digest.indexOf(':');
  if (colon <= 0) return false;
  const alg = digest.slice(0, colon).toLowerCase();
  const hex = digest.slice(colon + 1).toLowerCase();
  if (hex === '') return false;
  return statement.subjects.some((s) => s.digest[alg] === hex);
}

/**
 * cosign's `--type` names and the predicate types they stand for (cosign's
 * cmd/cosign/cli/options/predicate.go PredicateTypeMap).
 */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

/** A cosign `--type` name as its predicate type URI; anything with a `:` is taken as a URI already. */
export function predicateTypeOf(name: string): string {
  if (Object.hasOwn(PREDICATE_TYPES, name)) return PREDICATE_TYPES[name]!;
  if (name.includes(':')) return name;
  throw new TrustFormatError(
    `unknown attestation type "${name.slice(0, 200)}": give one of ${Object.keys(PREDICATE_TYPES).join(', ')}, or a predicate type URI`,
  );
}

// Producers version these URIs (`https://cyclonedx.org/bom/v1.5`, `https://spdx.dev/Document/v2.3`,
// `https://openvex.dev/ns/v0.2.0`); SLSA provenance is v0.2 or v1 (v1.1 keeps the v1 URI).
const KINDS: readonly [RegExp, AttestationKind][] = [
  [/^https:\/\/slsa\.dev\/provenance\/v(0\.2|1(\.\d+)*)$/, 'slsa-provenance'],
  [/^https:\/\/cyclonedx\.org\/bom(\/v?\d+(\.\d+)*)?$/, 'cyclonedx'],
  [/^https:\/\/spdx\.dev\/Document(\/v?\d+(\.\d+)*)?$/, 'spdx'],
  [/^https:\/\/openvex\.dev\/ns(\/v?\d+(\.\d+)*)?$/, 'openvex'],
  [/^https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1$/, 'vuln'],
];

/** What kind of claim a predicate type is; `other` for anything Assay does not summarise. */
export function kindOfPredicate(predicateType: string): AttestationKind {
  for (const [re, kind] of KINDS) if (re.test(predicateType)) return kind;
  return 'other';
}
