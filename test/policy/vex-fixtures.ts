// VEX documents in their published shapes, for the VEX document tests. OpenVEX: the shape of the
// OpenVEX specification's v0.2.0 examples (openvex/spec OPENVEX-SPEC.md: a document `@context`,
// `@id`, author, timestamp, version, statements with `vulnerability.name`/`aliases`, `products`
// by `@id` purl, image products with `subcomponents`, status, justification, impact_statement).
// CycloneDX: the standalone VEX of cyclonedx.org/capabilities/vex (bomFormat, specVersion 1.4,
// `vulnerabilities[].analysis` and `affects[].ref` as a BOM-Link to the SBOM's bom-ref, which is
// the package's purl as Trivy's VEX examples write it).
import { sha } from './fixtures.ts';

export const IMAGE_DIGEST = sha('vex-image');
const encoded = IMAGE_DIGEST.replace(':', '%3A');

/** An OpenVEX document: `statements` as given, the rest as the spec's example. */
export function openVex(statements: unknown[]): string {
  return JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/example/vex-9fb3463de1b57',
    author: 'Wolfi J Inkinson',
    role: 'Document Creator',
    timestamp: '2023-01-08T18:02:03.647787998-06:00',
    version: 1,
    statements,
  });
}

/** `CVE-2023-1111` in openssl (any version, as OpenVEX allows) is not affected: the code is never run. */
export const OPENSSL_NOT_AFFECTED = {
  '@id': 'https://openvex.dev/docs/example/vex-9fb3463de1b57#openssl',
  vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2023-1111', name: 'CVE-2023-1111', aliases: ['GHSA-aaaa-bbbb-cccc'] },
  timestamp: '2023-01-08T18:02:03.647787998-06:00',
  products: [{ '@id': 'pkg:deb/debian/openssl?arch=amd64' }],
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  impact_statement: 'The TLS heartbeat path is compiled out of this image.',
};

/** `CVE-2023-2222` fixed in the image (a product naming its digest), limited to openssl. */
export const IMAGE_FIXED = {
  vulnerability: { name: 'CVE-2023-2222' },
  products: [
    {
      '@id': `pkg:oci/api@${encoded}?repository_url=registry.example.com/team-a/api`,
      subcomponents: [{ '@id': 'pkg:deb/debian/openssl@3.0.11' }],
    },
  ],
  status: 'fixed',
};

/** A CycloneDX VEX: `vulnerabilities` as given. */
export function cycloneDxVex(vulnerabilities: unknown[]): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.4',
    version: 1,
    metadata: { timestamp: '2023-01-08T18:02:03Z' },
    vulnerabilities,
  });
}

/** `CVE-2023-3333` in lodash 4.17.21 not affected (code not reachable), by a BOM-Link to the SBOM's purl bom-ref. */
export const LODASH_CDX = {
  id: 'CVE-2023-3333',
  source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-3333' },
  analysis: {
    state: 'not_affected',
    justification: 'code_not_reachable',
    response: ['will_not_fix', 'update'],
    detail: 'lodash.template is never called.',
  },
  affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.21' }],
};

/** Packages with purls, as a scanner writes them (qualifiers and all). */
export const PACKAGES = [
  { name: 'openssl', version: '3.0.11', type: 'deb', purl: 'pkg:deb/debian/openssl@3.0.11?arch=amd64&distro=debian-12' },
  { name: 'lodash', version: '4.17.21', type: 'npm', purl: 'pkg:npm/lodash@4.17.21' },
  { name: 'curl', version: '7.88.1', type: 'deb', purl: 'pkg:deb/debian/curl@7.88.1?arch=amd64&distro=debian-12' },
];
