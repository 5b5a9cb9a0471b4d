// A stored scan report as SARIF 2.1.0 (OASIS), the format code-scanning dashboards import:
// one run by the Assay driver, one rule per distinct finding kind (a vulnerability id, a
// sensitive-data rule, a malware signature, a custom check), one result per finding. Paths are
// relative to the image's root filesystem (uriBaseId ROOTFS); the layer that holds the file is
// in the location's properties. Sensitive data appears only in its masked form, as stored.
// Signatures and attestations that cannot count are results too (sarif-trust.ts).
import type { SarifLevel, SarifLocation, SarifRule } from './sarif-types.ts';
import { createHash } from 'node:crypto';
import type { ScanReport } from '@assay/domain';
import { trustFindings, trustRunProperty } from './sarif-trust.ts';

export const SARIF_VERSION = '2.1.0';
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

type Severity = ScanReport['vulnerabilities'][number]['severity'];

/** Report severity → SARIF level. Unknown is a warning: an unrated finding is not harmless. */
export const LEVEL_BY_SEVERITY: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  negligible: 'note',
  unknown: 'warning',
};

/** GitHub's `security-severity` (a CVSS-like score) for a severity without a CVSS score. */
const SCORE_BY_SEVERITY: Readonly<Record<Severity, number>> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 2.0,
  negligible: 0.5,
  unknown: 5.0,
};

export interface SarifOptions {
  /** Assay's version, for tool.driver.version. */
  readonly toolVersion?: string;
  readonly informationUri?: string;
}

export interface SarifLog {
  $schema: string;
  version: typeof SARIF_VERSION;
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: SarifDriver };
  automationDetails: { id: string };
  originalUriBaseIds: Record<string, { uri: string; description: { text: string } }>;
  results: SarifResult[];
  properties: Record<string, unknown>;
}

export interface SarifDriver {
  name: 'Assay';
  version?: string;
  informationUri?: string;
  rules: SarifRule[];
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  kind: 'fail';
  level: SarifLevel;
  message: { text: string };
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties?: Record<string, unknown>;
}

export type { SarifLevel, SarifLocation, SarifRule } from './sarif-types.ts';

type Pkg = ScanReport['packages'][number];

export function toSarif(report: ScanReport, opts: SarifOptions = {}): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: SarifResult[] = [];
  const addRule = (rule: SarifRule): number => {
    const known = ruleIndex.get(rule.id);
    if (known !== undefined) {
      // Keep the highest level seen for a rule shared by several findings.
      const r = rules[known];
      if (r && rank(rule.defaultConfiguration.level) > rank(r.defaultConfiguration.level))
        r.defaultConfiguration = rule.defaultConfiguration;
      const score = rule.properties['security-severity'];
      if (r && score !== undefined && Number(score) > Number(r.properties['security-severity'] ?? 0))
        r.properties['security-severity'] = score;
      return known;
    }
    rules.push(rule);
    ruleIndex.set(rule.id, rules.length - 1);
    return rules.length - 1;
  };
  const add = (rule: SarifRule, result: Omit<SarifResult, 'ruleId' | 'ruleIndex' | 'kind' | 'partialFingerprints'>, identity: string[]) => {
    results.push({
      ruleId: rule.id,
      ruleIndex: addRule(rule),
      kind: 'fail',
      ...result,
      partialFingerprints: {
        'assayFinding/v1': createHash('sha256')
          .update(JSON.stringify([rule.id, ...identity]))
          .digest('hex'),
      },
    });
  };

  for (const v of report.vulnerabilities) {
    const level = LEVEL_BY_SEVERITY[v.severity];
    const pkg = findPackage(report.packages, v.packageName, v.packageVersion, v.packageType);
    const score = v.cvss ?? SCORE_BY_SEVERITY[v.severity];
    const rule: SarifRule = {
      id: v.id,
      name: ruleName('Vulnerability', v.id),
      shortDescription: { text: v.title ? oneLine(v.title, 300) : v.id },
      ...(v.title ? { fullDescription: { text: oneLine(v.title, 2000) } } : {}),
      helpUri: `https://osv.dev/vulnerability/${encodeURIComponent(v.id)}`,
      defaultConfiguration: { level },
      properties: {
        tags: ['security', 'vulnerability', v.severity],
        'security-severity': score.toFixed(1),
        ...(v.aliases?.length ? { aliases: v.aliases } : {}),
      },
    };
    const fix = v.fixedVersion ? `; fixed in ${v.fixedVersion}` : '; no fix available';
    add(
      rule,
      {
        level,
        message: { text: `${v.packageName} ${v.packageVersion} is affected by ${v.id} (${v.severity})${fix}` },
        locations: [packageLocation(pkg, v.packageName, v.packageVersion, v.packageType)],
        properties: {
          packageName: v.packageName,
          packageVersion: v.packageVersion,
          ...(v.packageType ? { packageType: v.packageType } : {}),
          ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
          severity: v.severity,
          ...(v.epss ? { epss: v.epss.score, epssPercentile: v.epss.percentile } : {}),
          ...(v.kev ? { kev: { ...v.kev } } : {}),
        },
      },
      [v.packageName, v.packageVersion, v.packageType ?? '', pkg?.path ?? ''],
    );
  }

  for (const s of report.sensitiveData ?? []) {
    const level = LEVEL_BY_SEVERITY[s.severity];
    const rule: SarifRule = {
      id: `sensitive/${s.rule}`,
      name: ruleName('SensitiveData', s.rule),
      shortDescription: { text: `Sensitive data: ${s.rule}${s.category ? ` (${s.category})` : ''}` },
      defaultConfiguration: { level },
      properties: {
        tags: [...new Set(['security', 'sensitive-data', ...(s.category ? [s.category] : [])])],
        'security-severity': SCORE_BY_SEVERITY[s.severity].toFixed(1),
      },
    };
    add(
      rule,
      {
        level,
        // Only the masked form: the stored finding holds nothing else of the secret.
        message: { text: `${s.rule} in ${s.path}${s.line ? ` line ${s.line}` : ''}: ${s.masked}` },
        locations: [fileLocation(s.path, s.layerDigest, s.line)],
      },
      [s.path, String(s.line ?? ''), s.masked],
    );
  }

  for (const m of report.malware ?? []) {
    const rule: SarifRule = {
      id: `malware/${m.name}`,
      name: ruleName('Malware', m.name),
      shortDescription: { text: `Malware: ${m.name}` },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['security', 'malware'], 'security-severity': '10.0' },
    };
    add(rule, { level: 'error', message: { text: `${m.name} found in ${m.path}` }, locations: [fileLocation(m.path, m.layerDigest)] }, [
      m.path,
      m.layerDigest ?? '',
    ]);
  }

  for (const c of report.checks ?? []) {
    if (c.passed) continue;
    const rule: SarifRule = {
      id: `check/${c.id}`,
      name: ruleName('Check', c.id),
      shortDescription: { text: `Custom compliance check ${c.id}` },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['compliance'] },
    };
    add(
      rule,
      {
        level: 'error',
        message: { text: `${c.id} failed${c.message ? `: ${c.message}` : ''}` },
        // A check is about the image as a whole: a logical location names it.
        locations: [{ logicalLocations: [{ name: imageName(report), kind: 'module' }] }],
      },
      [c.id],
    );
  }

  for (const t of report.trust ? trustFindings(report.trust) : []) {
    add(t.rule, { level: t.level, message: t.message, locations: t.locations, properties: t.properties }, t.identity);
  }

  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: 'Assay',
            ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
            ...(opts.informationUri ? { informationUri: opts.informationUri } : {}),
            rules,
          },
        },
        automationDetails: { id: `assay/${report.image.digest}/` },
        originalUriBaseIds: { ROOTFS: { uri: 'file:///', description: { text: `Root filesystem of ${imageName(report)}` } } },
        results,
        properties: {
          reportId: report.reportId,
          image: report.image,
          scannedAt: report.scannedAt instanceof Date ? report.scannedAt.toISOString() : String(report.scannedAt),
          ...(report.vulnDbVersion ? { vulnDbVersion: report.vulnDbVersion } : {}),
          ...(report.os?.eol ? { os: { ...report.os } } : {}),
          analyzerVersions: report.analyzerVersions,
          ...(report.trust ? { trust: trustRunProperty(report.trust) } : {}),
        },
      },
    ],
  };
}

function rank(level: SarifLevel): number {
  return { none: 0, note: 1, warning: 2, error: 3 }[level];
}

function imageName(report: ScanReport): string {
  return `${report.image.registry}/${report.image.repository}@${report.image.digest}`;
}

/** SARIF rule names are identifiers (PascalCase by convention): `Vulnerability/CVE-2024-1`. */
function ruleName(prefix: string, id: string): string {
  return `${prefix}/${id.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A layer-relative path as a relative URI reference (each segment percent-encoded). */
export function pathToUri(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(encodeURIComponent)
    .join('/');
}

function fileLocation(path: string, layerDigest?: string, line?: number): SarifLocation {
  return {
    physicalLocation: {
      artifactLocation: { uri: pathToUri(path), uriBaseId: 'ROOTFS' },
      ...(line && line > 0 ? { region: { startLine: line } } : {}),
    },
    ...(layerDigest ? { properties: { layerDigest } } : {}),
  };
}

function findPackage(packages: readonly Pkg[], name: string, version: string, type?: string): Pkg | undefined {
  return packages.find((p) => p.name === name && p.version === version && (type === undefined || p.type === type));
}

/** Where the vulnerable package is: its file when known, always the package as a logical location. */
function packageLocation(pkg: Pkg | undefined, name: string, version: string, type?: string): SarifLocation {
  const logical = {
    name: `${name}@${version}`,
    ...(pkg?.purl ? { fullyQualifiedName: pkg.purl } : {}),
    kind: type ?? pkg?.type ?? 'package',
  };
  return {
    ...(pkg?.path ? { physicalLocation: { artifactLocation: { uri: pathToUri(pkg.path), uriBaseId: 'ROOTFS' as const } } } : {}),
    logicalLocations: [logical],
    ...(pkg?.layerDigest ? { properties: { layerDigest: pkg.layerDigest } } : {}),
  };
}
