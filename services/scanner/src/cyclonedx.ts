// CycloneDX 1.6 JSON of a report's inventory, built and serialised by @cyclonedx/cyclonedx-library:
// the image as metadata.component (a container, its purl `pkg:oci/...@digest`), one library
// component per package (purl, version, licences), with where it was found as properties.
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import type { ScanReport } from '@assay/store';

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
  return new PackageURL('oci', undefined, name, image.digest, { repository_url: `${image.registry}/${image.repository}`, ...(image.tag ? { tag: image.tag } : {}) }, undefined);
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
  if (report.os) root.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:os`, `${report.os.family} ${report.os.name ?? ''}`.trim()));
  if (report.baseImage) root.properties.add(new CDX.Models.Property(`${ASSAY_PROPERTY_PREFIX}:baseImage`, report.baseImage));
  bom.metadata.component = root;

  const refs = new Set<string>();
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
  });
  return bom;
}

/** The report's inventory as CycloneDX 1.6 JSON text. */
export function toCycloneDx(report: ScanReport, opts: { space?: number } = {}): string {
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(toCycloneDxBom(report), { sortLists: true, ...(opts.space !== undefined ? { space: opts.space } : {}) });
}
