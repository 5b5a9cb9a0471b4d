// A VEX document a policy names (or `assay scan --vex` reads), unsigned: OpenVEX or CycloneDX
// VEX reduced to one shape (parse.ts reads them). Statements keep their products as written;
// whether one covers a finding is decided per image and package (match.ts).

/** The most bytes read of one document: a VEX feed for a whole distribution is not about one policy. */
export const MAX_VEX_DOCUMENT_BYTES = 8 * 1024 * 1024;
/** The most statements read from one document. */
export const MAX_VEX_DOCUMENT_STATEMENTS = 100_000;

/** OpenVEX statuses; a CycloneDX analysis state is mapped onto them (see cyclonedx-vex.ts). */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
export const VEX_STATUSES: readonly VexStatus[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

/** What a statement is about: the names it goes by (`@id`, identifiers, purls), its hashes, its subcomponents. */
export interface VexProduct {
  names: string[];
  /** `sha256:<hex>` (hashes written as `sha-256: <hex>`). */
  hashes: string[];
  /** Each subcomponent's names (purls); empty when the product is meant whole. */
  subcomponents: string[][];
}

export interface VexDocumentStatement {
  /** Where it is in the document: its `@id`, or `statements[3]` / `vulnerabilities[3]`. */
  ref: string;
  vulnerability: string;
  aliases: string[];
  status: VexStatus;
  /** In OpenVEX terms (a CycloneDX justification is mapped; see cyclonedx-vex.ts). */
  justification?: string;
  /** OpenVEX `impact_statement` / CycloneDX `analysis.detail`. */
  detail?: string;
  products: VexProduct[];
}

export interface VexDocument {
  /** Where it was read from (`file:vex/app.json`, an URL), as a verdict names it. */
  source: string;
  format: 'openvex' | 'cyclonedx';
  statements: VexDocumentStatement[];
}

/** A document that could not be read or is not OpenVEX or CycloneDX VEX; the message says where. */
export class VexDocumentError extends Error {
  override readonly name = 'VexDocumentError';
}

/** A string field, cut to `max`; undefined when absent or empty. */
export function optionalString(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new VexDocumentError(`${field} is not a string`);
  return v.slice(0, max);
}

/** The strings of an array field (others ignored), each cut to `max`. */
export function strings(v: unknown, max: number): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '').map((x) => x.slice(0, max)) : [];
}

/** A policy's `controls.vulnerabilities.vexDocuments` entry. */
export type VexDocumentRef = { file: string } | { url: string };

/** The key a loaded document is found by, and the source a verdict names: `file:<path>` or the URL. */
export function vexDocumentKey(ref: VexDocumentRef): string {
  return 'file' in ref ? `file:${ref.file}` : ref.url;
}
