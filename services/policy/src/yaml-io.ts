// YAML export and import: one document per policy, runtime policy and exception, in a
// multi-document stream a person can review, keep in git and import again.
import { parseAllDocuments, stringify } from 'yaml';
import { ValidationError } from '@assay/domain';
import { allPages, type Store } from '@assay/store';

export const API_VERSION = 'assay.dev/v1';
export const KINDS = ['ImageAssurancePolicy', 'RuntimePolicy', 'PolicyException'] as const;
export type ExportKind = (typeof KINDS)[number];

export interface ExportDoc {
  apiVersion: typeof API_VERSION;
  kind: ExportKind;
  id: string;
  spec: Record<string, unknown>;
}

/** Dates as ISO strings, undefined fields dropped: what JSON would give. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;

export async function exportDocuments(store: Store): Promise<ExportDoc[]> {
  const docs: ExportDoc[] = [];
  for await (const r of allPages((p) => store.policies.list(p))) {
    if (r.document) docs.push({ apiVersion: API_VERSION, kind: 'ImageAssurancePolicy', id: r.id, spec: plain(r.document) });
  }
  for await (const r of allPages((p) => store.runtimePolicies.list(p))) {
    if (r.document) docs.push({ apiVersion: API_VERSION, kind: 'RuntimePolicy', id: r.id, spec: plain(r.document) });
  }
  for await (const e of allPages((p) => store.exceptions.list(p))) {
    const { id, ...spec } = plain(e);
    docs.push({ apiVersion: API_VERSION, kind: 'PolicyException', id: String(id), spec });
  }
  return docs;
}

export function toYaml(docs: readonly ExportDoc[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

/** A parsed document and its position in the stream (empty documents counted). */
export type ImportDoc = ExportDoc & { index: number };

/** Parses a multi-document YAML stream; ValidationError naming the document and field otherwise. */
export function parseYamlDocuments(text: string): ImportDoc[] {
  const out: ImportDoc[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `documents[${i}]`;
    if (doc.errors.length > 0) throw new ValidationError([{ path: where, message: `not valid YAML: ${doc.errors[0]!.message}` }]);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) return; // an empty document (a trailing ---)
    const d = v as Partial<ExportDoc>;
    if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError([{ path: where, message: 'expected a mapping' }]);
    if (d.apiVersion !== API_VERSION)
      throw new ValidationError([{ path: `${where}.apiVersion`, message: `expected ${JSON.stringify(API_VERSION)}` }]);
    if (!KINDS.includes(d.kind as ExportKind))
      throw new ValidationError([{ path: `${where}.kind`, message: `expected one of ${KINDS.join(', ')}` }]);
    if (typeof d.id !== 'string' || d.id === '') throw new ValidationError([{ path: `${where}.id`, message: 'expected a string' }]);
    if (d.spec === null || typeof d.spec !== 'object' || Array.isArray(d.spec)) {
      throw new ValidationError([{ path: `${where}.spec`, message: 'expected a mapping' }]);
    }
    out.push({ ...(d as ExportDoc), index: i });
  });
  return out;
}
