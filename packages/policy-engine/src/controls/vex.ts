// VEX suppression for the vulnerabilities control: OpenVEX statements, from attestations about
// this image that a signer the policy trusts signed, that say a vulnerability does not affect it
// (`not_affected`) or is fixed. A statement names the vulnerability by id or alias and, when it
// lists products, the package (package URLs compared without qualifiers or subpath, since a
// scanner and a VEX author rarely write the same `?arch=…`).
import type { AttestationRecord, ScanReport, TrustedSigner, VexStatement } from '@assay/domain';
import { matchSigner, signerLabel } from '@assay/trust';
import type { Suppression } from './types.ts';

type Finding = ScanReport['vulnerabilities'][number];

export interface VexConfig {
  signers: readonly TrustedSigner[];
  statuses?: readonly string[] | undefined;
}

interface Entry {
  statement: VexStatement;
  products?: Set<string>;
  signer: string;
  attestation: string;
}

/** A package URL without its qualifiers (`?…`) and subpath (`#…`). */
export function purlBase(purl: string): string {
  return purl.replace(/[?#].*$/, '');
}

/** The suppressing statements of the report, by the vulnerability ids and aliases they name. */
export class VexIndex {
  readonly #byId = new Map<string, Entry[]>();
  readonly #purls = new Map<string, string>();

  constructor(report: ScanReport, config: VexConfig) {
    const statuses = new Set(config.statuses ?? ['not_affected', 'fixed']);
    for (const record of report.trust?.attestations ?? []) {
      const signer = usableSigner(record, config.signers);
      if (signer === undefined) continue;
      for (const statement of record.vex ?? []) {
        if (!statuses.has(statement.status)) continue;
        const products = statement.products && statement.products.length > 0 ? new Set(statement.products.map(purlBase)) : undefined;
        const entry: Entry = { statement, signer, attestation: record.artifact, ...(products ? { products } : {}) };
        for (const id of new Set([statement.vulnerability, ...(statement.aliases ?? [])])) {
          const list = this.#byId.get(id);
          if (list) list.push(entry);
          else this.#byId.set(id, [entry]);
        }
      }
    }
    if (this.#byId.size === 0) return;
    for (const p of report.packages) {
      if (p.purl) this.#purls.set(`${p.type}\n${p.name}\n${p.version}`, purlBase(p.purl));
    }
  }

  /** The suppression of `finding`, when a trusted statement covers it. */
  suppression(finding: Finding): Suppression | undefined {
    if (this.#byId.size === 0) return undefined;
    const purl = this.#purlOf(finding);
    for (const id of [finding.id, ...(finding.aliases ?? [])]) {
      for (const e of this.#byId.get(id) ?? []) {
        if (e.products && (purl === undefined || !e.products.has(purl))) continue;
        return {
          item: finding.id,
          by: 'vex',
          status: e.statement.status,
          ...(e.statement.justification ? { justification: e.statement.justification } : {}),
          signer: e.signer,
          attestation: e.attestation,
        };
      }
    }
    return undefined;
  }

  /** The package URL of the finding's package, from the report's packages (findings carry name and version only). */
  #purlOf(finding: Finding): string | undefined {
    if (finding.packageType !== undefined)
      return this.#purls.get(`${finding.packageType}\n${finding.packageName}\n${finding.packageVersion}`);
    for (const [key, purl] of this.#purls) {
      const [, name, version] = key.split('\n');
      if (name === finding.packageName && version === finding.packageVersion) return purl;
    }
    return undefined;
  }
}

/** The label of the first trusted signer of a usable OpenVEX attestation, or undefined. */
function usableSigner(record: AttestationRecord, signers: readonly TrustedSigner[]): string | undefined {
  if (record.kind !== 'openvex' || record.error !== undefined || !record.subjectMatches) return undefined;
  const signer = signers.find((s) => matchSigner(s, record));
  return signer ? signerLabel(signer) : undefined;
}
