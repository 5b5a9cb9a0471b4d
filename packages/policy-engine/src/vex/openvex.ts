// OpenVEX documents (v0.2.0, and v0.0.x's plain-string vulnerability and products): each statement's
// vulnerability (name, aliases), products (`@id`, identifiers, hashes, subcomponents), status,
// justification and impact statement.
import { isObject } from '@assay/kit';
import { MAX_VEX_DOCUMENT_STATEMENTS, optionalString, strings, VEX_STATUSES, VexDocumentError } from './document.ts';
import type { VexDocumentStatement, VexProduct, VexStatus } from './document.ts';

/** The names of a product or subcomponent: a v0.0.x string, or `@id` and identifier values. */
function names(p: unknown): string[] {
  if (typeof p === 'string') return [p];
  if (!isObject(p)) return [];
  const out: string[] = [];
  if (typeof p['@id'] === 'string') out.push(p['@id']);
  const ids = p['identifiers'];
  if (isObject(ids)) for (const v of Object.values(ids)) if (typeof v === 'string') out.push(v);
  return out;
}

function hashes(p: unknown): string[] {
  const h = isObject(p) ? p['hashes'] : undefined;
  if (!isObject(h)) return [];
  const out: string[] = [];
  for (const [alg, value] of Object.entries(h)) {
    if (typeof value !== 'string') continue;
    // OpenVEX writes `sha-256`; a digest reads `sha256:`.
    out.push(`${alg.toLowerCase().replace('-', '')}:${value.toLowerCase()}`);
  }
  return out;
}

function product(p: unknown): VexProduct {
  const subs = isObject(p) && Array.isArray(p['subcomponents']) ? p['subcomponents'] : [];
  return { names: names(p), hashes: hashes(p), subcomponents: subs.map(names).filter((n) => n.length > 0) };
}

function statement(s: unknown, i: number): VexDocumentStatement {
  const at = `statements[${i}]`;
  if (!isObject(s)) throw new VexDocumentError(`${at} is not an object`);
  const v = s['vulnerability'];
  const vuln = isObject(v) ? v : { name: v };
  const vulnerability = optionalString(vuln['name'], `${at}.vulnerability.name`, 200);
  if (vulnerability === undefined) throw new VexDocumentError(`${at}.vulnerability names no vulnerability`);
  const status = s['status'];
  if (!VEX_STATUSES.includes(status as VexStatus)) {
    throw new VexDocumentError(`${at}.status is ${JSON.stringify(status)?.slice(0, 100)}, not one of ${VEX_STATUSES.join(', ')}`);
  }
  const list = s['products'];
  if (list !== undefined && list !== null && !Array.isArray(list)) throw new VexDocumentError(`${at}.products is not an array`);
  const justification = optionalString(s['justification'], `${at}.justification`, 200);
  const detail = optionalString(s['impact_statement'], `${at}.impact_statement`, 2000);
  const id = optionalString(s['@id'], `${at}.@id`, 500);
  return {
    ref: id ?? at,
    vulnerability,
    aliases: strings(vuln['aliases'], 200).slice(0, 50),
    status: status as VexStatus,
    ...(justification ? { justification } : {}),
    ...(detail ? { detail } : {}),
    products: (list ?? []).map(product),
  };
}

/** The statements of an OpenVEX document. */
export function parseOpenVex(doc: Record<string, unknown>): VexDocumentStatement[] {
  const statements = doc['statements'];
  if (!Array.isArray(statements)) throw new VexDocumentError('statements is missing or not an array');
  if (statements.length > MAX_VEX_DOCUMENT_STATEMENTS) {
    throw new VexDocumentError(`statements has more than ${MAX_VEX_DOCUMENT_STATEMENTS} entries`);
  }
  return statements.map(statement);
}
