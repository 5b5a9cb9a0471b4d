// Which statement of the VEX documents a policy names covers a finding: one naming the finding's
// vulnerability (its id or an alias) and a product that is the finding's package (purl, see
// purl-match.ts) or the image itself (its digest, raw, purl-encoded or as a hash), limited to the
// package when the image product lists subcomponents. Within a document the last covering
// statement decides, as OpenVEX orders statements oldest first: a later `affected` or
// `under_investigation` takes back an earlier `not_affected`.
import type { ScanReport } from '@assay/domain';
import type { VexDocument, VexDocumentStatement, VexProduct, VexStatus } from './document.ts';
import type { Suppression } from '../controls/types.ts';
import { purlCovers } from './purl-match.ts';

type Finding = ScanReport['vulnerabilities'][number];

/** The statuses that suppress a finding; `affected` and `under_investigation` never do. */
export const SUPPRESSING_STATUSES: readonly VexStatus[] = ['not_affected', 'fixed'];

export interface VexDocumentMatch {
  document: VexDocument;
  statement: VexDocumentStatement;
}

interface Entry {
  document: VexDocument;
  statement: VexDocumentStatement;
  /** Its position, for "the last covering statement of a document decides". */
  order: number;
}

/** The statements of the documents by the vulnerability ids and aliases they name, for one report. */
export class VexDocumentIndex {
  readonly #byId = new Map<string, Entry[]>();
  readonly #purls = new Map<string, string[]>();
  readonly #digests: string[];

  constructor(report: ScanReport, documents: readonly VexDocument[]) {
    let order = 0;
    for (const document of documents) {
      for (const statement of document.statements) {
        const entry = { document, statement, order: order++ };
        for (const id of new Set([statement.vulnerability, ...statement.aliases])) {
          const list = this.#byId.get(id);
          if (list) list.push(entry);
          else this.#byId.set(id, [entry]);
        }
      }
    }
    this.#digests = [report.image.digest, ...(report.trust?.subjects ?? []).map((s) => s.digest)].map((d) => d.toLowerCase());
    if (this.#byId.size === 0) return;
    for (const p of report.packages) {
      if (!p.purl) continue;
      for (const key of [`${p.type}\n${p.name}\n${p.version}`, `\n${p.name}\n${p.version}`]) {
        const list = this.#purls.get(key);
        if (!list) this.#purls.set(key, [p.purl]);
        else if (!list.includes(p.purl)) list.push(p.purl);
      }
    }
  }

  /** The statement that suppresses `finding` (not_affected or fixed), if a document's deciding one does. */
  suppressing(finding: Finding): VexDocumentMatch | undefined {
    return this.#covering(finding).find((m) => SUPPRESSING_STATUSES.includes(m.statement.status));
  }

  /** Per document (in order), its last statement covering the finding. */
  #covering(finding: Finding): VexDocumentMatch[] {
    if (this.#byId.size === 0) return [];
    const seen = new Set<Entry>();
    const entries: Entry[] = [];
    for (const id of [finding.id, ...(finding.aliases ?? [])]) {
      for (const e of this.#byId.get(id) ?? []) {
        if (!seen.has(e)) entries.push(e);
        seen.add(e);
      }
    }
    if (entries.length === 0) return [];
    const purls = this.#purlsOf(finding);
    const last = new Map<VexDocument, Entry>();
    for (const e of entries.sort((a, b) => a.order - b.order)) {
      if (e.statement.products.some((p) => this.#covers(p, purls))) last.set(e.document, e);
    }
    return [...last.values()].sort((a, b) => a.order - b.order).map(({ document, statement }) => ({ document, statement }));
  }

  #covers(p: VexProduct, purls: readonly string[]): boolean {
    const isPackage = (names: readonly string[]) => names.some((n) => purls.some((purl) => purlCovers(n, purl)));
    if (this.#isImage(p)) return p.subcomponents.length === 0 || p.subcomponents.some(isPackage);
    return isPackage(p.names);
  }

  #isImage(p: VexProduct): boolean {
    for (const d of this.#digests) {
      const encoded = d.replace(':', '%3a');
      if (p.hashes.includes(d)) return true;
      if (p.names.some((n) => n.toLowerCase().includes(d) || n.toLowerCase().includes(encoded))) return true;
    }
    return false;
  }

  /** The purls of the finding's package, from the report's packages (findings carry name and version only). */
  #purlsOf(finding: Finding): string[] {
    return this.#purls.get(`${finding.packageType ?? ''}\n${finding.packageName}\n${finding.packageVersion}`) ?? [];
  }
}

/** The suppression a verdict records for a finding a document's statement excused. */
export function documentSuppression(finding: Finding, m: VexDocumentMatch): Suppression {
  return {
    item: finding.id,
    by: 'vex-document',
    status: m.statement.status,
    ...(m.statement.justification ? { justification: m.statement.justification } : {}),
    document: m.document.source,
    statement: m.statement.ref,
    ...(m.statement.detail ? { detail: m.statement.detail } : {}),
  };
}
