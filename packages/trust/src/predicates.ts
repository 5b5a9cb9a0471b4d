// An attestation's predicate reduced to what a report keeps: provenance fields, the VEX
// statements about this image, an SBOM's format version and size, a scan's scanner and result
// count. The documents themselves are not kept (an SBOM can be megabytes; the report cites it).
import type { AttestationKind, AttestationRecord } from '@assay/domain';
import { isObject } from '@assay/kit';
import { TrustFormatError } from './errors.ts';
import { summariseOpenVex } from './openvex.ts';
import { summariseProvenance } from './slsa-provenance.ts';

export type PredicateSummary = Pick<AttestationRecord, 'provenance' | 'vex' | 'vexOmitted' | 'sbom' | 'scan'>;

/** Nested components counted at most this deep: a real SBOM nests a few levels; a hostile one could nest forever. */
const MAX_COMPONENT_DEPTH = 32;

function version(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new TrustFormatError(`${field} is not a string`);
  return String(v).slice(0, 50);
}

/** CycloneDX components, nested ones included. */
function countComponents(list: unknown, field: string, depth: number): number {
  if (list === undefined || list === null) return 0;
  if (!Array.isArray(list)) throw new TrustFormatError(`CycloneDX: ${field} is not an array`);
  if (depth > MAX_COMPONENT_DEPTH) throw new TrustFormatError(`CycloneDX: components nest deeper than ${MAX_COMPONENT_DEPTH}`);
  let n = 0;
  for (const c of list) {
    n++;
    if (isObject(c)) n += countComponents(c['components'], `${field}[].components`, depth + 1);
  }
  return n;
}

function cyclonedx(p: unknown): PredicateSummary {
  if (!isObject(p)) throw new TrustFormatError('CycloneDX: predicate is not an object');
  if (p['bomFormat'] !== undefined && p['bomFormat'] !== 'CycloneDX') throw new TrustFormatError('CycloneDX: bomFormat is not "CycloneDX"');
  const specVersion = version(p['specVersion'], 'CycloneDX: specVersion');
  return { sbom: { ...(specVersion ? { specVersion } : {}), components: countComponents(p['components'], 'components', 0) } };
}

/** cosign `--type spdx` keeps a tag-value SPDX document as the predicate string. */
const MAX_SPDX_TEXT = 32 * 1024 * 1024;

function spdx(p: unknown): PredicateSummary {
  if (typeof p === 'string') {
    if (p.length > MAX_SPDX_TEXT) throw new TrustFormatError('SPDX: tag-value document is too large');
    const specVersion = /^SPDXVersion:\s*(\S+)/m.exec(p)?.[1];
    if (specVersion === undefined) throw new TrustFormatError('SPDX: tag-value document has no SPDXVersion');
    const components = p.match(/^PackageName:/gm)?.length ?? 0;
    return { sbom: { specVersion: specVersion.slice(0, 50), components } };
  }
  if (!isObject(p)) throw new TrustFormatError('SPDX: predicate is neither a JSON document nor tag-value text');
  const specVersion = version(p['spdxVersion'], 'SPDX: spdxVersion');
  if (specVersion === undefined) throw new TrustFormatError('SPDX: spdxVersion is missing');
  const packages = p['packages'];
  if (packages !== undefined && packages !== null && !Array.isArray(packages)) throw new TrustFormatError('SPDX: packages is not an array');
  return { sbom: { specVersion, components: Array.isArray(packages) ? packages.length : 0 } };
}

/**
 * How many results a scanner's output holds: a list, Trivy's `Results[].Vulnerabilities`,
 * Grype's `matches`, SARIF's `runs[].results`; 0 for none (`null`).
 */
function resultCount(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (Array.isArray(result)) return result.length;
  if (!isObject(result)) throw new TrustFormatError('vulnerability scan: scanner.result is neither a list nor an object');
  const sum = (list: unknown, key: string) =>
    Array.isArray(list) ? list.reduce((n: number, r) => n + (isObject(r) && Array.isArray(r[key]) ? r[key].length : 0), 0) : 0;
  if (Array.isArray(result['Results'])) return sum(result['Results'], 'Vulnerabilities');
  if (Array.isArray(result['matches'])) return result['matches'].length;
  if (Array.isArray(result['runs'])) return sum(result['runs'], 'results');
  if (Array.isArray(result['vulnerabilities'])) return result['vulnerabilities'].length;
  return 0;
}

/** cosign's vulnerability-scan predicate (specs/COSIGN_VULN_ATTESTATION_SPEC.md): `scanner.uri`, `scanner.result`. */
function vuln(p: unknown): PredicateSummary {
  if (!isObject(p)) throw new TrustFormatError('vulnerability scan: predicate is not an object');
  const scanner = p['scanner'];
  if (!isObject(scanner)) throw new TrustFormatError('vulnerability scan: scanner is missing or not an object');
  const uri = scanner['uri'];
  if (uri !== undefined && uri !== null && typeof uri !== 'string')
    throw new TrustFormatError('vulnerability scan: scanner.uri is not a string');
  const ver = typeof scanner['version'] === 'string' && scanner['version'] !== '' ? `@${scanner['version']}` : '';
  const name = typeof uri === 'string' && uri !== '' ? `${uri}${ver}`.slice(0, 500) : undefined;
  return { scan: { ...(name ? { scanner: name } : {}), results: resultCount(scanner['result']) } };
}

/**
 * What a report keeps of a predicate of `kind` for the image `subjectDigest` (`sha256:<hex>`);
 * nothing for `other`. TrustFormatError naming the field when the predicate is not what its type says.
 */
export function summarisePredicate(kind: AttestationKind, predicate: unknown, subjectDigest: string): PredicateSummary {
  switch (kind) {
    case 'slsa-provenance':
      return { provenance: summariseProvenance(predicate) };
    case 'openvex':
      return summariseOpenVex(predicate, subjectDigest);
    case 'cyclonedx':
      return cyclonedx(predicate);
    case 'spdx':
      return spdx(predicate);
    case 'vuln':
      return vuln(predicate);
    case 'other':
      return {};
  }
}
