// Intelligence feeds in their published shapes, small. EPSS: FIRST's daily
// `epss_scores-YYYY-MM-DD.csv.gz` (https://www.first.org/epss/data_stats: a `#model_version…`
// comment line, then `cve,epss,percentile`). KEV: CISA's `known_exploited_vulnerabilities.json`
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog; the Log4Shell entry as the
// catalogue lists it). Scores are illustrative, not a given day's.
import { gzipSync } from 'node:zlib';

export const EPSS_CSV = [
  '#model_version:v2025.03.14,score_date:2026-12-05T12:55:00Z',
  'cve,epss,percentile',
  'CVE-2021-44228,0.94358,0.99957',
  'CVE-2023-0001,0.00043,0.11502',
  'CVE-2023-0002,0.27150,0.96321',
  'CVE-2024-9999,0.00010,0.01000',
  'not-a-cve,0.5,0.5',
  'CVE-2023-0003,1.5,0.5',
  '',
].join('\n');

export const EPSS_CSV_GZ = gzipSync(Buffer.from(EPSS_CSV));

export const KEV_JSON = JSON.stringify({
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2026.12.04',
  dateReleased: '2026-12-04T16:58:12.2215Z',
  count: 3,
  vulnerabilities: [
    {
      cveID: 'CVE-2021-44228',
      vendorProject: 'Apache',
      product: 'Log4j2',
      vulnerabilityName: 'Apache Log4j2 Remote Code Execution Vulnerability',
      dateAdded: '2021-12-10',
      shortDescription:
        'Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.',
      requiredAction:
        'For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.',
      dueDate: '2021-12-24',
      knownRansomwareCampaignUse: 'Known',
      notes: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228',
      cwes: ['CWE-20', 'CWE-400', 'CWE-502'],
    },
    {
      cveID: 'CVE-2023-0002',
      vendorProject: 'Example',
      product: 'libexample',
      vulnerabilityName: 'Example libexample Use-After-Free Vulnerability',
      dateAdded: '2024-03-05',
      shortDescription: 'libexample contains a use-after-free vulnerability.',
      requiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
      dueDate: '2024-03-26',
      knownRansomwareCampaignUse: 'Unknown',
      notes: '',
      cwes: ['CWE-416'],
    },
    { cveID: 'bogus', dateAdded: '2024-01-01' },
  ],
});

/** OSV records naming those CVEs the ways advisories do: a GHSA by alias, Debian by upstream, one with none. */
export const RECORDS = [
  {
    id: 'GHSA-jfh8-c2jp-5v3q',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2021-44228'],
    summary: 'Remote code injection in Log4j',
    affected: [
      {
        package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }] }],
      },
    ],
    database_specific: { severity: 'CRITICAL' },
  },
  {
    id: 'DEBIAN-CVE-2023-0002',
    modified: '2024-01-01T00:00:00Z',
    upstream: ['CVE-2023-0002'],
    affected: [
      {
        package: { ecosystem: 'Debian:11', name: 'libexample' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-3+deb11u1' }] }],
      },
    ],
  },
  {
    // Two CVEs: the higher EPSS is the advisory's.
    id: 'GHSA-aaaa-bbbb-cccc',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2023-0001', 'CVE-2023-0002'],
    affected: [
      { package: { ecosystem: 'npm', name: 'twice' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] },
    ],
  },
  {
    id: 'GHSA-none-none-none',
    modified: '2024-01-01T00:00:00Z',
    affected: [
      { package: { ecosystem: 'npm', name: 'quiet' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] },
    ],
  },
];

export const PACKAGES = [
  {
    name: 'org.apache.logging.log4j:log4j-core',
    version: '2.14.1',
    type: 'maven',
    purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
  },
  { name: 'libexample1', version: '1.2', release: '3', type: 'deb', srcName: 'libexample', srcVersion: '1.2', srcRelease: '3' },
  { name: 'twice', version: '1.0.0', type: 'npm', purl: 'pkg:npm/twice@1.0.0' },
  { name: 'quiet', version: '1.0.0', type: 'npm', purl: 'pkg:npm/quiet@1.0.0' },
];
