// OpenVEX predicates (v0.0.x and v0.2.0) reduced to the statements about THIS image: those whose
// products name its digest (in `@id`, an identifier, a `pkg:oci/…@sha256%3A<hex>` purl or a hash)
// and those with no products at all (a document attached to an image is about it). A statement
// limited to subcomponents keeps their purls so only findings in those packages are suppressed.
import type { VexStatement } from '@assay/domain';
import { isObject } from '@assay/kit';
import { TrustFormatError } from './errors.ts';

/** The most statements kept per attestation; the rest are counted in `vexOmitted`. */
export const MAX_VEX_STATEMENTS = 1000;
/** The most statements read from one document (a VEX feed for a whole distribution is not about one image). */
export const MAX_VEX_INPUT_STATEMENTS = 100_000;

const STATUSES: readonly VexStatement['status'][] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

const bad = (field: string, what: string) => new TrustFormatError(`OpenVEX: ${field} ${what}`);

/** The strings a product (v0.2.0 object, or v0.0.x plain string) is named by. */
function productNames(p: unknown): string[] {
  if (typeof p === 'string') return [p];
  if (!isObject(p)) return [];
  const names: string[] = [];
  if (typeof p['@id'] === 'string') names.push(p['@id']);
  const ids = p['identifiers'];
  if (isObject(ids)) for (const v of Object.values(ids)) if (typeof v === 'string') names.push(v);
  return names;
}

/** Whether a product is this image: its digest in a name (raw or purl-encoded `%3A`), or among its hashes. */
function isImage(p: unknown, alg: string, hex: string): boolean {
  const needles = [`${alg}:${hex}`, `${alg}%3a${hex}`];
  if (productNames(p).some((n) => needles.some((needle) => n.toLowerCase().includes(needle)))) return true;
  const hashes = isObject(p) ? p['hashes'] : undefined;
  if (!isObject(hashes)) return false;
  const key = alg === 'sha256' ? 'sha-256' : alg === 'sha512' ? 'sha-512' : alg;
  return Object.entries(hashes).some(([k, v]) => k.toLowerCase() === key && typeof v === 'string' && v.toLowerCase() === hex);
}

function subcomponentPurls(p: unknown): string[] {
  if (!isObject(p) || !Array.isArray(p['subcomponents'])) return [];
  return p['subcomponents'].flatMap((s) => {
    const names = productNames(s);
    return names.find((n) => n.startsWith('pkg:')) ?? names[0] ?? [];
  });
}

function str(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad(field, 'is not a string');
  return v.slice(0, max);
}

/**
 * The statement as recorded when it is about the image with digest `alg:hex`; undefined when its
 * products are other things.
 */
function statementFor(s: unknown, i: number, alg: string, hex: string): VexStatement | undefined {
  const at = `statements[${i}]`;
  if (!isObject(s)) throw bad(at, 'is not an object');
  let products: string[] | undefined;
  const list = s['products'];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) throw bad(`${at}.products`, 'is not an array');
    if (list.length > 0) {
      const mine = list.filter((p) => isImage(p, alg, hex));
      if (mine.length === 0) return undefined;
      const subs = mine.map(subcomponentPurls);
      // One product that is the whole image makes the statement about the whole image.
      if (subs.every((x) => x.length > 0)) products = [...new Set(subs.flat())].slice(0, 200).map((x) => x.slice(0, 2000));
    }
  }
  const v = s['vulnerability'];
  const vuln = isObject(v) ? v : { name: v };
  const vulnerability = str(vuln['name'], `${at}.vulnerability.name`, 200);
  if (vulnerability === undefined) throw bad(`${at}.vulnerability`, 'names no vulnerability');
  const rawAliases = vuln['aliases'];
  const aliases = Array.isArray(rawAliases)
    ? rawAliases
        .filter((a): a is string => typeof a === 'string' && a !== '')
        .slice(0, 50)
        .map((a) => a.slice(0, 200))
    : [];
  const status = s['status'];
  if (!STATUSES.includes(status as VexStatement['status'])) {
    throw bad(`${at}.status`, `is ${JSON.stringify(status)?.slice(0, 100)}, not one of ${STATUSES.join(', ')}`);
  }
  const justification = str(s['justification'], `${at}.justification`, 200);
  const impactStatement = str(s['impact_statement'], `${at}.impact_statement`, 2000);
  return {
    vulnerability,
    ...(aliases.length > 0 ? { aliases } : {}),
    status: status as VexStatement['status'],
    ...(justification ? { justification } : {}),
    ...(impactStatement ? { impactStatement } : {}),
    ...(products && products.length > 0 ? { products } : {}),
  };
}

/** The OpenVEX statements about the image `subjectDigest`, at most MAX_VEX_STATEMENTS kept. */
export function summariseOpenVex(predicate: unknown, subjectDigest: string): { vex: VexStatement[]; vexOmitted?: number } {
  if (!isObject(predicate)) throw bad('predicate', 'is not an object');
  const statements = predicate['statements'];
  if (!Array.isArray(statements)) throw bad('statements', 'is missing or not an array');
  if (statements.length > MAX_VEX_INPUT_STATEMENTS) throw bad('statements', `has more than ${MAX_VEX_INPUT_STATEMENTS} entries`);
  const colon = subjectDigest.indexOf(':');
  const alg = subjectDigest.slice(0, colon).toLowerCase();
  const hex = subjectDigest.slice(colon + 1).toLowerCase();
  const vex: VexStatement[] = [];
  let omitted = 0;
  statements.forEach((s, i) => {
    const kept = statementFor(s, i, alg, hex);
    if (!kept) return;
    if (vex.length < MAX_VEX_STATEMENTS) vex.push(kept);
    else omitted++;
  });
  return { vex, ...(omitted > 0 ? { vexOmitted: omitted } : {}) };
}
