// Documents for the store tests: valid ones to start from, and a large realistic scan report.
import { createHash } from 'node:crypto';
import type { ImageAssurancePolicy, PolicyException, RuntimePolicy, ScanReport, SeenRef } from '@assay/domain';

export function sha(seed: string | number): string {
  return `sha256:${createHash('sha256').update(String(seed)).digest('hex')}`;
}

export function imagePolicy(over: Partial<ImageAssurancePolicy> = {}): ImageAssurancePolicy {
  return {
    name: 'production baseline',
    description: 'No critical or high vulnerabilities with a fix; no secrets; no malware',
    enabled: true,
    action: 'block',
    scope: { registries: ['registry.example.com'], repositories: ['team-a/*'] },
    controls: {
      vulnerabilities: { maxSeverity: 'medium', ignoreUnfixed: true, deny: ['CVE-2021-44228'] },
      sensitiveData: { block: true },
      malware: { block: true },
      licences: { denied: ['AGPL-3.0-only'] },
      customChecks: [{ id: 'no-root-user', required: true }],
    },
    ...over,
  };
}

export function runtimePolicy(over: Partial<RuntimePolicy> = {}): RuntimePolicy {
  return {
    name: 'prod clusters',
    enabled: true,
    enforcement: 'enforce',
    scope: { namespaces: ['prod-*'], labels: { 'assay.dev/tier': 'prod' } },
    imagePolicies: ['baseline'],
    blockUnregistered: true,
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    ...over,
  };
}

export function exception(id: string, createdAt: Date, expiresAt: Date, over: Partial<PolicyException> = {}): PolicyException {
  return {
    id,
    scope: { policyId: 'baseline', control: 'vulnerabilities', repository: 'team-a/api', items: ['CVE-2024-3094'] },
    reason: 'Fix ships in the next base image; tracked in OPS-1234',
    createdBy: 'alice@example.com',
    createdAt,
    expiresAt,
    ...over,
  };
}

export function seen(n: number | string, over: Partial<SeenRef> = {}): SeenRef {
  return { registry: 'registry.example.com', repository: 'team-a/api', digest: sha(`image-${n}`), ...over };
}

/** A deterministic pseudo-random source, so the large report is the same on every run. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
const TYPES = ['deb', 'npm', 'pypi', 'go', 'maven', 'gem', 'cargo'] as const;
const LICENCES = ['MIT', 'Apache-2.0', 'GPL-2.0-or-later', 'BSD-3-Clause', 'LGPL-2.1-only', 'ISC', 'MPL-2.0'];
const WORDS = [
  'buffer',
  'overflow',
  'in',
  'parser',
  'allows',
  'remote',
  'attackers',
  'to',
  'cause',
  'denial',
  'of',
  'service',
  'via',
  'crafted',
  'input',
  'heap',
  'use-after-free',
  'integer',
  'path',
  'traversal',
];

export function scanReport(
  n: number | string,
  opts: { packages?: number; vulnerabilities?: number; reportId?: string; digest?: string } = {},
): ScanReport {
  const rnd = prng(typeof n === 'number' ? n : n.length * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const layers = Array.from({ length: 6 }, (_, i) => ({
    digest: `sha256:${hex(64)}`,
    diffId: `sha256:${hex(64)}`,
    size: 1_000_000 + Math.floor(rnd() * 80_000_000),
    createdBy: `/bin/sh -c #(nop) RUN step ${i}`,
  }));
  const packageCount = opts.packages ?? 25;
  const packages = Array.from({ length: packageCount }, (_, i) => {
    const type = pick(TYPES);
    const name = `${pick(['lib', 'py-', 'node-', 'go-', ''])}${hex(3)}${pick(WORDS)}-${i}`;
    const version = `${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 50)}.${Math.floor(rnd() * 10)}${type === 'deb' ? `-${Math.floor(rnd() * 5)}+deb12u${Math.floor(rnd() * 3)}` : ''}`;
    const layer = pick(layers);
    return {
      name,
      version,
      type,
      purl: `pkg:${type === 'deb' ? 'deb/debian' : type}/${name}@${version}${type === 'deb' ? '?arch=amd64&distro=debian-12' : ''}`,
      ...(type === 'deb' ? { arch: 'amd64', srcName: name.replace(/-\d+$/, ''), srcVersion: version } : {}),
      licences: rnd() < 0.2 ? [pick(LICENCES), pick(LICENCES)] : [pick(LICENCES)],
      layerDigest: layer.digest,
      path: type === 'deb' ? '/var/lib/dpkg/status' : `/usr/lib/${type}/${name}/${version}/METADATA`,
    };
  });
  const vulnCount = opts.vulnerabilities ?? 10;
  const vulnerabilities = Array.from({ length: vulnCount }, (_, i) => {
    const p = packages[Math.floor(rnd() * packages.length)] ?? { name: 'x', version: '1', type: 'deb' };
    const fixed = rnd() < 0.6;
    return {
      id: rnd() < 0.8 ? `CVE-${2015 + Math.floor(rnd() * 10)}-${10000 + i}` : `GHSA-${hex(4)}-${hex(4)}-${hex(4)}`,
      packageName: p.name,
      packageVersion: p.version,
      packageType: p.type,
      ...(fixed ? { fixedVersion: `${p.version}.1` } : {}),
      severity: pick(SEVERITIES),
      cvss: Math.round(rnd() * 100) / 10,
      aliases: rnd() < 0.3 ? [`DSA-${5000 + i}-1`] : [],
      title: Array.from({ length: 8 + Math.floor(rnd() * 10) }, () => pick(WORDS)).join(' '),
      source: pick(['debian', 'ghsa', 'osv', 'nvd']),
    };
  });
  const digest = opts.digest ?? sha(`image-${n}`);
  return {
    reportId: opts.reportId ?? `report-${n}`,
    image: {
      registry: 'registry.example.com',
      repository: 'team-a/api',
      digest,
      tag: 'v1.2.3',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platform: { os: 'linux', architecture: 'amd64' },
    },
    analyzerVersions: { dpkg: 3, npm: 2, pip: 1, secrets: 4, clamav: 1 },
    vulnDbVersion: '2025-11-20T00:00:00Z/osv-1',
    scannedAt: new Date('2025-11-20T10:11:12.345Z'),
    os: { family: 'debian', name: 'Debian GNU/Linux', version: '12.8' },
    baseImage: 'docker.io/library/debian:bookworm-slim',
    layers,
    packages,
    vulnerabilities,
    sensitiveData: [
      {
        rule: 'aws-access-key-id',
        category: 'cloud',
        severity: 'critical',
        path: '/app/.env',
        layerDigest: layers[5]!.digest,
        line: 3,
        masked: 'AKIA************MPLE',
      },
    ],
    malware: [],
    licences: [{ package: packages[0]?.name ?? 'x', licence: 'AGPL-3.0-only', category: 'forbidden' }],
    checks: [{ id: 'no-root-user', passed: false, message: 'USER is root' }],
    config: { user: 'root', exposedPorts: ['8080/tcp'], env: ['NODE_ENV=production'] },
    summary: {
      packages: packageCount,
      vulnerabilities: { critical: 1, high: 2, medium: 3, low: 4, negligible: 0, unknown: 0 },
      sensitiveFindings: 1,
      malwareFindings: 0,
      licenceFindings: 1,
      os: 'debian 12.8',
      baseImage: 'debian:bookworm-slim',
    },
  };
}
