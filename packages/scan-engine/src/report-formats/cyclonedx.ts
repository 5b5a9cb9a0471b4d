// CycloneDX 1.6 JSON of a report's inventory, built and serialised by @cyclonedx/cyclonedx-library:
// the image as metadata.component (a container, its purl `pkg:oci/...@digest`), one library
// component per package (purl, version, licences), with where it was found as properties, and
// the report's vulnerability findings (affects → the package's bom-ref, rating, source, advisories),
// a VEX statement `assay scan --vex` applied as the finding's analysis, and the report's trust
// section on the image component (cyclonedx-trust.ts).
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import type { ScanReport } from '@assay/domain';
import { addTrust } from './cyclonedx-trust.ts';

export const ASSAY_PROPERTY_PREFIX = 'assay';

function purlOf(s: unknown): PackageURL | undefined {
  if (typeof s !== 'string' || s === '') return undefined;
  try {
    return PackageURL.fromString(s);
  } catch {
    return undefined;
  }
}

function licence(l: string): CDX.Models.License {
  const t = l.trim();
  if (CDX.SPDX.isSupportedSpdxId(t)) return new CDX.Models.SpdxLicense(t);
  if (/\s(AND|OR|WITH)\s/.test(t)) return new CDX.Models.LicenseExpression(t);
  return new CDX.Models.NamedLicense(t);
}

/** The image's own purl: `pkg:oci/<name>@<digest>?repository_url=<registry>/<repository>`. */
export function imagePurl(image: ScanReport['image']): PackageURL {
  const name = image.repository.split('/').pop() ?? image.repository;
  return new PackageURL(
    'oci',
    undefined,
    name,
    image.digest,
    { repository_url: `${image.registry}/${image.repository}`, ...(image.tag ? { tag: image.tag } : {}) },
    undefined,
  );
}

export function toCycloneDxBom(report: ScanReport): CDX.Models.Bom {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = `urn:uuid:${/^[0-9a-f-]{36}$/i.test(report.reportId) ? report.reportId : '00000000-0000-4000-8000-000000000000'}`;
  bom.metadata.timestamp = new Date(report.scannedAt);
  const tool = new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'assay-scanner', { group: 'assay' });
  bom.metadata.tools.components.add(tool);
  const img = report.image;
  const imageRef = `${img.registry}/${img.repository}@${img.digest}`;
  const root = new CDX.Models.Component(CDX.Enums.ComponentType.Container, `${img.registry}/${img.repository}`, {
    bomRef: imageRef,
    version: img.digest,
    purl: imagePurl(img).toString(),
  });
  if (report.os)
    root.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:os`, `${report.os.family} ${report.os.name ?? ''}`.trim()));
  if (report.os?.eol) root.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:os:eol`, report.os.eol));
  if (report.baseImage) root.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:baseImage`, report.baseImage));
  if (report.trust) addTrust(root, report.trust);
  bom.metadata.component = root;

  const refs = new Set<string>();
  // name@version(type) → the components' bom-refs, for the vulnerabilities' affects.
  const byPackage = new Map<string, CDX.Models.Component[]>();
  report.packages.forEach((p, i) => {
    const purl = purlOf(p.purl);
    let ref = purl?.toString() ?? `${p.type}:${p.name}@${p.version}`;
    if (refs.has(ref)) ref = `${ref}#${i}`;
    refs.add(ref);
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      bomRef: ref,
      version: p.version,
      ...(purl ? { purl: p.purl as string } : {}),
    });
    for (const l of p.licences ?? []) if (l.trim() !== '') c.licenses.add(licence(l));
    c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:package:type`, p.type));
    if (p.layerDigest) c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:layer:digest`, p.layerDigest));
    if (p.path) c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:path`, p.path));
    if (p.srcName) c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:package:srcName`, p.srcName));
    if (p.srcVersion) c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:package:srcVersion`, p.srcVersion));
    if (p.arch) c.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:package:arch`, p.arch));
    bom.components.add(c);
    for (const k of [`${p.type}\0${p.name}\0${p.version}`, `\0${p.name}\0${p.version}`]) {
      const list = byPackage.get(k) ?? [];
      list.push(c);
      byPackage.set(k, list);
    }
  });

  for (const v of report.vulnerabilities) {
    const rec = v as typeof v & { cvssVector?: unknown; references?: unknown; purl?: unknown };
    const source = sourceOf(v.source);
    const vuln = new CDX.Models.Vulnerability.Vulnerability({
      bomRef: `${v.id}|${v.packageType ?? ''}:${v.packageName}@${v.packageVersion}`,
      id: v.id,
      ...(source ? { source } : {}),
      ...(v.title ? { description: v.title } : {}),
      ...(v.fixedVersion ? { recommendation: `Upgrade ${v.packageName} to ${v.fixedVersion} or later` } : {}),
    });
    const vector = typeof rec.cvssVector === 'string' ? rec.cvssVector : undefined;
    vuln.ratings.add(
      new CDX.Models.Vulnerability.Rating({
        severity: SEVERITY[v.severity],
        ...(v.cvss !== undefined ? { score: v.cvss } : {}),
        ...(vector ? { vector, method: ratingMethod(vector) } : {}),
        ...(source ? { source } : {}),
      }),
    );
    if (v.epss) vuln.ratings.add(epssRating(v.epss));
    for (const url of Array.isArray(rec.references) ? rec.references : []) {
      if (typeof url === 'string' && /^https?:\/\//.test(url)) vuln.advisories.add(new CDX.Models.Vulnerability.Advisory(url));
    }
    for (const alias of v.aliases ?? []) {
      if (alias !== v.id)
        vuln.references.add(
          new CDX.Models.Vulnerability.Reference(alias, new CDX.Models.Vulnerability.Source({ name: alias.split('-')[0] ?? alias })),
        );
    }
    const affected =
      byPackage.get(`${v.packageType ?? ''}\0${v.packageName}\0${v.packageVersion}`) ??
      byPackage.get(`\0${v.packageName}\0${v.packageVersion}`) ??
      [];
    for (const c of affected) {
      vuln.affects.add(
        new CDX.Models.Vulnerability.Affect(c.bomRef, {
          versions: new CDX.Models.Vulnerability.AffectedVersionRepository([
            new CDX.Models.Vulnerability.AffectedSingleVersion(v.packageVersion, { status: affectStatus(v.vex) }),
          ]),
        }),
      );
    }
    if (v.fixedVersion) vuln.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:fixedVersion`, v.fixedVersion));
    if (v.kev) addKev(vuln, v.kev);
    if (v.vex) {
      vuln.analysis = vexAnalysis(v.vex);
      vuln.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:vex:document`, v.vex.document));
    }
    bom.vulnerabilities.add(vuln);
  }
  return bom;
}

const SEVERITY: Readonly<Record<ScanReport['vulnerabilities'][number]['severity'], CDX.Enums.Vulnerability.Severity>> = {
  critical: CDX.Enums.Vulnerability.Severity.Critical,
  high: CDX.Enums.Vulnerability.Severity.High,
  medium: CDX.Enums.Vulnerability.Severity.Medium,
  low: CDX.Enums.Vulnerability.Severity.Low,
  negligible: CDX.Enums.Vulnerability.Severity.Info,
  unknown: CDX.Enums.Vulnerability.Severity.Unknown,
};

// A VEX statement (OpenVEX terms) as CycloneDX's analysis, the mapping CISA's VEX status
// guidance and Trivy use: fixed is `resolved`, the five OpenVEX justifications onto the nearest
// of CycloneDX's nine.
const ANALYSIS_STATE: Readonly<Record<VexNote['status'], CDX.Enums.Vulnerability.AnalysisState>> = {
  not_affected: CDX.Enums.Vulnerability.AnalysisState.NotAffected,
  affected: CDX.Enums.Vulnerability.AnalysisState.Exploitable,
  fixed: CDX.Enums.Vulnerability.AnalysisState.Resolved,
  under_investigation: CDX.Enums.Vulnerability.AnalysisState.InTriage,
};
const ANALYSIS_JUSTIFICATION: Readonly<Record<string, CDX.Enums.Vulnerability.AnalysisJustification>> = {
  component_not_present: CDX.Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_present: CDX.Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_in_execute_path: CDX.Enums.Vulnerability.AnalysisJustification.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary: CDX.Enums.Vulnerability.AnalysisJustification.RequiresEnvironment,
  inline_mitigations_already_exist: CDX.Enums.Vulnerability.AnalysisJustification.ProtectedByMitigatingControl,
};
type VexNote = NonNullable<ScanReport['vulnerabilities'][number]['vex']>;

/** The version's status in `affects`: unaffected once a VEX statement says not affected or fixed. */
function affectStatus(vex: VexNote | undefined): CDX.Enums.Vulnerability.AffectStatus {
  return vex?.status === 'not_affected' || vex?.status === 'fixed'
    ? CDX.Enums.Vulnerability.AffectStatus.Unaffected
    : CDX.Enums.Vulnerability.AffectStatus.Affected;
}

function vexAnalysis(vex: VexNote): CDX.Models.Vulnerability.Analysis {
  const justification = vex.justification !== undefined ? ANALYSIS_JUSTIFICATION[vex.justification] : undefined;
  return new CDX.Models.Vulnerability.Analysis({
    state: ANALYSIS_STATE[vex.status],
    ...(justification ? { justification } : {}),
    ...(vex.detail ? { detail: vex.detail } : {}),
  });
}

/** FIRST's EPSS as a rating (CycloneDX has no EPSS method: `other`, source FIRST), the percentile in the justification. */
function epssRating(e: { score: number; percentile: number }): CDX.Models.Vulnerability.Rating {
  return new CDX.Models.Vulnerability.Rating({
    score: e.score,
    method: CDX.Enums.Vulnerability.RatingMethod.Other,
    source: new CDX.Models.Vulnerability.Source({ name: 'FIRST', url: 'https://www.first.org/epss/' }),
    justification: `EPSS: probability of exploitation in the next 30 days ${e.score}, percentile ${e.percentile}`,
  });
}

/** CISA KEV has no CycloneDX field: properties under `assay:kev:`. */
function addKev(
  vuln: CDX.Models.Vulnerability.Vulnerability,
  kev: { cve?: string | undefined; dateAdded: string; dueDate?: string | undefined; ransomware?: boolean | undefined },
): void {
  const prop = (k: string, value: string) => vuln.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:kev:${k}`, value));
  if (kev.cve) prop('cve', kev.cve);
  prop('dateAdded', kev.dateAdded);
  if (kev.dueDate) prop('dueDate', kev.dueDate);
  prop('ransomware', kev.ransomware ? 'true' : 'false');
}

function ratingMethod(vector: string): CDX.Enums.Vulnerability.RatingMethod {
  if (vector.startsWith('CVSS:4')) return CDX.Enums.Vulnerability.RatingMethod.CVSSv4;
  if (vector.startsWith('CVSS:3.1')) return CDX.Enums.Vulnerability.RatingMethod.CVSSv31;
  if (vector.startsWith('CVSS:3')) return CDX.Enums.Vulnerability.RatingMethod.CVSSv3;
  return CDX.Enums.Vulnerability.RatingMethod.Other;
}

/** `osv:Debian:12` → the source named as stored, with OSV's URL when it is OSV. */
function sourceOf(source: string | undefined): CDX.Models.Vulnerability.Source | undefined {
  if (!source) return undefined;
  return new CDX.Models.Vulnerability.Source({ name: source, ...(source.startsWith('osv') ? { url: 'https://osv.dev/' } : {}) });
}

/** The report's inventory as CycloneDX 1.6 JSON text. */
export function toCycloneDx(report: ScanReport, opts: { space?: number } = {}): string {
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(toCycloneDxBom(report), { sortLists: true, ...(opts.space !== undefined ? { space: opts.space } : {}) });
}
