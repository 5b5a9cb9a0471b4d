// `assay scan --vex <file>` (Trivy's flag; repeatable): VEX documents (OpenVEX or CycloneDX VEX)
// applied to the scan's findings. A finding a statement says is not affected or fixed carries the
// statement in the report (`vex`: shown apart in the table, as `analysis` in CycloneDX, left out
// of --severity), and policies judge the image with the documents as a policy naming them would.
// A file that cannot be read or parsed is an error before the scan, as with Trivy and Grype.
import { readFile, stat } from 'node:fs/promises';
import type { ScanReport } from '@assay/domain';
import { MAX_VEX_DOCUMENT_BYTES, parseVexDocument, VexDocumentError, VexDocumentIndex, type VexDocument } from '@assay/policy-engine';
import { CliError } from './io.ts';

/** The documents of `files`, in order; CliError naming the flag, the file and what is wrong. */
export async function loadVexFiles(files: readonly string[]): Promise<VexDocument[]> {
  const out: VexDocument[] = [];
  for (const file of files) {
    const fail = (why: string) => new CliError(`--vex ${file}: ${why}`);
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      throw fail(err.code === 'ENOENT' ? 'no such file' : err.message);
    });
    if (!info.isFile()) throw fail('not a file');
    if (info.size > MAX_VEX_DOCUMENT_BYTES) throw fail(`larger than ${MAX_VEX_DOCUMENT_BYTES} bytes`);
    const text = await readFile(file, 'utf8').catch((err: Error) => {
      throw fail(err.message);
    });
    try {
      out.push(parseVexDocument(text, file));
    } catch (err) {
      // The parser's message starts with the source it was given: the file.
      if (err instanceof VexDocumentError) throw new CliError(`--vex ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** The report with each finding a document's statement suppresses marked with that statement. */
export function applyVex(report: ScanReport, documents: readonly VexDocument[]): ScanReport {
  if (documents.length === 0) return report;
  const index = new VexDocumentIndex(report, documents);
  const vulnerabilities = report.vulnerabilities.map((v) => {
    const m = index.suppressing(v);
    if (!m) return v;
    const { status, justification, detail } = m.statement;
    return {
      ...v,
      vex: { status, ...(justification ? { justification } : {}), ...(detail ? { detail } : {}), document: m.document.source },
    };
  });
  return { ...report, vulnerabilities };
}

/** How many findings a VEX statement suppressed. */
export function suppressedCount(report: ScanReport): number {
  return report.vulnerabilities.filter((v) => v.vex !== undefined).length;
}
