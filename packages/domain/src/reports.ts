// Scan reports: what a scan found in one image (its packages, vulnerabilities, secrets, malware,
// licences, checks) and which analyzer versions found it. One report per image digest.
import { z } from 'zod';
import { analyzerVersionsSchema } from './analyzer-versions.ts';
import { digest, nonEmpty, platform, timestamp } from './fields.ts';
import { SEVERITIES } from './severities.ts';
import { TrustSectionSchema } from './trust.ts';
import { validate } from './validation.ts';

const count = z.number().int().min(0);

export const SeverityCountsSchema = z.strictObject({
  critical: count,
  high: count,
  medium: count,
  low: count,
  negligible: count,
  unknown: count,
});

export const ScanSummarySchema = z.strictObject({
  packages: count,
  vulnerabilities: SeverityCountsSchema,
  sensitiveFindings: count,
  malwareFindings: count,
  licenceFindings: count,
  os: z.string().optional(),
  baseImage: z.string().optional(),
});
export type ScanSummary = z.output<typeof ScanSummarySchema>;

export const ReportImageSchema = z.strictObject({
  registry: nonEmpty(300),
  repository: nonEmpty(500),
  digest,
  tag: nonEmpty(200).optional(),
  mediaType: nonEmpty(200).optional(),
  platform: platform.optional(),
});

// Loose objects for what analyzers produce: a newer analyzer may add fields, and they are kept
// as given (a report round-trips exactly). Sensitive findings are strict on purpose: only the
// masked form may be stored, so an unexpected field (a raw match) is refused.
export const PackageSchema = z.looseObject({
  name: nonEmpty(500),
  version: z.string().max(300),
  /** deb, rpm, apk, npm, pypi, go, maven, gem, cargo, nuget, composer, binary… */
  type: nonEmpty(50),
  purl: z.string().max(2000).optional(),
  arch: z.string().max(50).optional(),
  srcName: z.string().max(500).optional(),
  srcVersion: z.string().max(300).optional(),
  licences: z.array(z.string().max(500)).optional(),
  layerDigest: digest.optional(),
  path: z.string().max(4096).optional(),
});

export const VulnerabilitySchema = z.looseObject({
  id: nonEmpty(100),
  packageName: nonEmpty(500),
  packageVersion: z.string().max(300),
  packageType: nonEmpty(50).optional(),
  fixedVersion: z.string().max(300).optional(),
  /**
   * When the fix was published (ISO-8601), read by the vulnerabilities control's grace period.
   * The advisory's OSV `published` time (OSV has no per-fix date); absent in reports written
   * before it existed, or when unknown: then no grace applies.
   */
  fixPublishedAt: z.iso.datetime({ offset: true }).optional(),
  severity: z.enum(SEVERITIES),
  cvss: z.number().min(0).max(10).optional(),
  aliases: z.array(nonEmpty(100)).optional(),
  title: z.string().max(2000).optional(),
  source: z.string().max(200).optional(),
  /** FIRST's EPSS for the finding's CVE (the highest when it names several), from the vulnerability database. */
  epss: z.looseObject({ score: z.number().min(0).max(1), percentile: z.number().min(0).max(1), cve: nonEmpty(100).optional() }).optional(),
  /** The finding's CVE in CISA's Known Exploited Vulnerabilities catalogue (dates YYYY-MM-DD). */
  kev: z
    .looseObject({
      cve: nonEmpty(100).optional(),
      dateAdded: nonEmpty(10),
      dueDate: z.string().max(10).optional(),
      ransomware: z.boolean().optional(),
    })
    .optional(),
  /**
   * The VEX statement `assay scan --vex` found for this finding, in OpenVEX terms (status,
   * justification, impact statement as `detail`) with the document it came from. Shown in the
   * outputs (CycloneDX `analysis`); a policy never reads it: it matches VEX documents itself.
   */
  vex: z
    .strictObject({
      status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
      justification: z.string().max(200).optional(),
      detail: z.string().max(2000).optional(),
      document: z.string().max(2000),
    })
    .optional(),
});

export const SensitiveFindingSchema = z.strictObject({
  rule: nonEmpty(200),
  category: nonEmpty(100).optional(),
  severity: z.enum(SEVERITIES),
  path: nonEmpty(4096),
  layerDigest: digest.optional(),
  line: z.number().int().min(0).optional(),
  /** The match with its secret part masked (`AKIA************MPLE`). */
  masked: z.string().max(1000),
});

export const ScanReportSchema = z.looseObject({
  reportId: nonEmpty(200),
  image: ReportImageSchema,
  analyzerVersions: analyzerVersionsSchema,
  vulnDbVersion: z.string().max(200).optional(),
  scannedAt: timestamp,
  os: z
    .looseObject({
      family: nonEmpty(100),
      name: z.string().optional(),
      version: z.string().optional(),
      /** End of the release's security support (YYYY-MM-DD), from the vulnerability database's table. */
      eol: z.string().max(10).optional(),
      /** Whether that date had passed when the report was matched (policies judge by `eol` and their own clock). */
      eolReached: z.boolean().optional(),
    })
    .optional(),
  baseImage: z.string().max(1000).optional(),
  layers: z.array(z.looseObject({ digest, diffId: digest.optional(), size: count, createdBy: z.string().optional() })),
  packages: z.array(PackageSchema),
  vulnerabilities: z.array(VulnerabilitySchema),
  sensitiveData: z.array(SensitiveFindingSchema).optional(),
  malware: z.array(z.looseObject({ name: nonEmpty(500), path: nonEmpty(4096), layerDigest: digest.optional() })).optional(),
  licences: z.array(z.looseObject({ package: nonEmpty(500), licence: nonEmpty(500), category: z.string().optional() })).optional(),
  checks: z.array(z.looseObject({ id: nonEmpty(200), passed: z.boolean(), message: z.string().optional() })).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  summary: ScanSummarySchema.optional(),
  /** Signatures and attestations found for the image's digest (and its index's), as verified at scan time. */
  trust: TrustSectionSchema.optional(),
});
export type ScanReport = z.output<typeof ScanReportSchema>;

/** Validates a report without storing it (evaluation requests); ValidationError naming the field. */
export function validateScanReport(report: unknown, root = 'report'): ScanReport {
  return validate(ScanReportSchema, report, root);
}
