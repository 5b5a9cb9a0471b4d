// CycloneDX VEX (1.4 and later, JSON): each `vulnerabilities[]` entry with an `analysis` is a
// statement about the components its `affects[].ref` names. A ref is a bom-ref of a component in
// the same document (read as that component's purl), a BOM-Link (`urn:cdx:<serial>/<v>#<bom-ref>`,
// read as the bom-ref after `#`, a purl when the BOM it links to uses purls as bom-refs, as
// scanners do) or a purl itself. States and justifications are mapped onto OpenVEX's as Trivy
// maps them: not_affected and false_positive are not_affected, resolved is fixed.
import { isObject } from '@assay/kit';
import { MAX_VEX_DOCUMENT_STATEMENTS, optionalString, VexDocumentError } from './document.ts';
import type { VexDocumentStatement, VexProduct, VexStatus } from './document.ts';

const STATES: Readonly<Record<string, VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

const JUSTIFICATIONS: Readonly<Record<string, string>> = {
  code_not_present: 'vulnerable_code_not_present',
  code_not_reachable: 'vulnerable_code_not_in_execute_path',
  requires_configuration: 'vulnerable_code_cannot_be_controlled_by_adversary',
  requires_dependency: 'vulnerable_code_cannot_be_controlled_by_adversary',
  requires_environment: 'vulnerable_code_cannot_be_controlled_by_adversary',
  protected_by_compiler: 'inline_mitigations_already_exist',
  protected_at_runtime: 'inline_mitigations_already_exist',
  protected_at_perimeter: 'inline_mitigations_already_exist',
  protected_by_mitigating_control: 'inline_mitigations_already_exist',
};

/** bom-ref → the names of the component it refers to (its purl, its bom-ref), over nested components. */
function componentNames(doc: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (c: unknown) => {
    if (!isObject(c)) return;
    const ref = c['bom-ref'];
    if (typeof ref === 'string') out.set(ref, [...new Set([ref, ...(typeof c['purl'] === 'string' ? [c['purl']] : [])])]);
    if (Array.isArray(c['components'])) c['components'].forEach(visit);
  };
  const metadata = doc['metadata'];
  if (isObject(metadata)) visit(metadata['component']);
  if (Array.isArray(doc['components'])) doc['components'].forEach(visit);
  return out;
}

function productOf(ref: string, components: Map<string, string[]>): VexProduct {
  const local = components.get(ref);
  if (local) return { names: local, hashes: [], subcomponents: [] };
  const hash = ref.indexOf('#');
  const linked = ref.startsWith('urn:cdx:') && hash >= 0 ? decodeURIComponent(ref.slice(hash + 1)) : ref;
  return { names: [...new Set([ref, linked])], hashes: [], subcomponents: [] };
}

function statement(v: unknown, i: number, components: Map<string, string[]>): VexDocumentStatement | undefined {
  const at = `vulnerabilities[${i}]`;
  if (!isObject(v)) throw new VexDocumentError(`${at} is not an object`);
  const analysis = v['analysis'];
  // A finding without an analysis is a BOM's vulnerability list, not a VEX statement.
  if (analysis === undefined) return undefined;
  if (!isObject(analysis)) throw new VexDocumentError(`${at}.analysis is not an object`);
  const id = optionalString(v['id'], `${at}.id`, 200);
  if (id === undefined) throw new VexDocumentError(`${at} has no id`);
  const state = analysis['state'];
  const status = typeof state === 'string' ? STATES[state] : undefined;
  if (status === undefined) {
    throw new VexDocumentError(
      `${at}.analysis.state is ${JSON.stringify(state)?.slice(0, 100)}, not one of ${Object.keys(STATES).join(', ')}`,
    );
  }
  const rawJustification = optionalString(analysis['justification'], `${at}.analysis.justification`, 200);
  const justification = rawJustification !== undefined ? (JUSTIFICATIONS[rawJustification] ?? rawJustification) : undefined;
  const detail = optionalString(analysis['detail'], `${at}.analysis.detail`, 2000);
  const refs = Array.isArray(v['references']) ? v['references'] : [];
  const aliases = refs.flatMap((r) => (isObject(r) && typeof r['id'] === 'string' && r['id'] !== id ? [r['id'].slice(0, 200)] : []));
  const affects = v['affects'];
  if (affects !== undefined && !Array.isArray(affects)) throw new VexDocumentError(`${at}.affects is not an array`);
  const products = (affects ?? []).flatMap((a) => (isObject(a) && typeof a['ref'] === 'string' ? [productOf(a['ref'], components)] : []));
  const bomRef = optionalString(v['bom-ref'], `${at}.bom-ref`, 500);
  return {
    ref: bomRef ?? at,
    vulnerability: id,
    aliases: aliases.slice(0, 50),
    status,
    ...(justification ? { justification } : {}),
    ...(detail ? { detail } : {}),
    products,
  };
}

/** The statements (vulnerabilities with an analysis) of a CycloneDX document. */
export function parseCycloneDxVex(doc: Record<string, unknown>): VexDocumentStatement[] {
  const vulns = doc['vulnerabilities'];
  if (!Array.isArray(vulns)) throw new VexDocumentError('CycloneDX document has no vulnerabilities array (not a VEX)');
  if (vulns.length > MAX_VEX_DOCUMENT_STATEMENTS)
    throw new VexDocumentError(`vulnerabilities has more than ${MAX_VEX_DOCUMENT_STATEMENTS} entries`);
  const components = componentNames(doc);
  return vulns.flatMap((v, i) => statement(v, i, components) ?? []);
}
