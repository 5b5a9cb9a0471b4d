// Reading a VEX document: which format it is, and its statements in one shape.
import { isObject } from '@assay/kit';
import { parseCycloneDxVex } from './cyclonedx-vex.ts';
import { MAX_VEX_DOCUMENT_BYTES, VexDocumentError, type VexDocument } from './document.ts';
import { parseOpenVex } from './openvex.ts';

/**
 * The document in `text`, OpenVEX (an `@context` naming openvex, or `statements`) or CycloneDX
 * (`bomFormat: CycloneDX` with `vulnerabilities`). Throws VexDocumentError naming `source` and the
 * offending field; never returns a partial document (a half-read document would hide findings
 * the author did not mean to, or keep ones they did).
 */
export function parseVexDocument(text: string, source: string): VexDocument {
  if (Buffer.byteLength(text) > MAX_VEX_DOCUMENT_BYTES) {
    throw new VexDocumentError(`${source}: larger than ${MAX_VEX_DOCUMENT_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VexDocumentError(`${source}: not JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw new VexDocumentError(`${source}: expected a JSON object`);
  try {
    if (json['bomFormat'] === 'CycloneDX') return { source, format: 'cyclonedx', statements: parseCycloneDxVex(json) };
    const context = json['@context'];
    if ((typeof context === 'string' && context.includes('openvex')) || Array.isArray(json['statements'])) {
      return { source, format: 'openvex', statements: parseOpenVex(json) };
    }
  } catch (err) {
    if (err instanceof VexDocumentError) throw new VexDocumentError(`${source}: ${err.message}`);
    throw err;
  }
  throw new VexDocumentError(`${source}: neither OpenVEX (an openvex @context and statements) nor CycloneDX VEX (bomFormat CycloneDX)`);
}
