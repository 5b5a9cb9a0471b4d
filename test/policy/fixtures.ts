// Reports and policies for the policy tests: small, valid, built to fail exactly one control.
import { createHash } from 'node:crypto';
import type { ImageAssurancePolicy, PolicyException, ScanReport } from '@assay/domain';
import type { PolicyRef } from '@assay/policy-engine';

export function sha(seed: string | number): string {
  return `sha256:${createHash('sha256').update(String(seed)).digest('hex')}`;
}

export function report(over: Partial<ScanReport> = {}, image: Partial<ScanReport['image']> = {}): ScanReport {
  const digest = image.digest ?? sha(JSON.stringify(over) + JSON.stringify(image));
  return {
    reportId: `r-${digest.slice(7, 23)}`,
    image: { registry: 'registry.example.com', repository: 'team-a/api', digest, ...image },
    analyzerVersions: { dpkg: 1 },
    scannedAt: new Date('2026-01-01T00:00:00Z'),
    layers: [],
    packages: [
      { name: 'openssl', version: '3.0.11', type: 'deb', licences: ['Apache-2.0'] },
      { name: 'lodash', version: '4.17.21', type: 'npm', licences: ['MIT'] },
    ],
    vulnerabilities: [],
    config: { user: '1000', created: '2025-12-01T00:00:00Z', labels: { team: 'a' } },
    baseImage: 'docker.io/library/debian:12',
    ...over,
  } as ScanReport;
}

export function policy(controls: ImageAssurancePolicy['controls'], over: Partial<ImageAssurancePolicy> = {}): ImageAssurancePolicy {
  return { name: 'p', enabled: true, action: 'block', controls, ...over };
}

export function ref(id: string, p: ImageAssurancePolicy, version = 1): PolicyRef {
  return { id, version, policy: p };
}

export function vuln(id: string, severity: 'critical' | 'high' | 'medium' | 'low', over: Record<string, unknown> = {}) {
  return {
    id,
    packageName: 'openssl',
    packageVersion: '3.0.11',
    severity,
    fixedVersion: '3.0.12',
    ...over,
  } as ScanReport['vulnerabilities'][number];
}

export function exception(over: Partial<PolicyException> & { scope: PolicyException['scope'] }): PolicyException {
  return {
    id: 'exc-1',
    reason: 'fix ships next sprint',
    createdBy: 'alice',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: new Date('2026-06-01T00:00:00Z'),
    ...over,
  };
}
