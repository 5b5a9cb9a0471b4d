// Unsigned VEX documents (OpenVEX, CycloneDX VEX) a policy names or `assay scan --vex` reads:
// parsing, and which statement covers a finding.
export {
  MAX_VEX_DOCUMENT_BYTES,
  MAX_VEX_DOCUMENT_STATEMENTS,
  vexDocumentKey,
  VexDocumentError,
  type VexDocument,
  type VexDocumentRef,
  type VexDocumentStatement,
  type VexProduct,
  type VexStatus,
} from './document.ts';
export { parseVexDocument } from './parse.ts';
export { documentSuppression, SUPPRESSING_STATUSES, VexDocumentIndex, type VexDocumentMatch } from './match.ts';
export { parsePurl, purlCovers } from './purl-match.ts';
