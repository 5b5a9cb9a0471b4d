// The control table: for each control, a report that fails it and one that passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateImage, applicablePolicies, type Evaluation } from '@assay/policy-engine';
import { satisfiesRange } from '@assay/versions';
import type { ImageAssurancePolicy, PolicyException, ScanReport } from '@assay/domain';
import { exception, policy, ref, report, vuln } from './fixtures.ts';

const NOW = new Date('2026-02-01T00:00:00Z');

function judge(r: ScanReport, controls: ImageAssurancePolicy['controls'], exceptions: PolicyException[] = [], now = NOW): Evaluation {
  return evaluateImage(r, [ref('p1', policy(controls))], exceptions, now);
}

function fails(e: Evaluation, control: string, ...mentions: string[]) {
  assert.equal(e.compliant, false, 'non-compliant');
  const r = e.reasons.find((x) => x.control === control);
  assert.ok(r, `a ${control} reason in ${JSON.stringify(e.reasons)}`);
  for (const m of mentions) assert.match(r.message, new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `names ${m}`);
  return r;
}

function passes(e: Evaluation) {
  assert.deepEqual(e.reasons, []);
  assert.equal(e.compliant, true);
}

describe('vulnerabilities', () => {
  it('fails above the maximum severity, naming the CVE and its fixed version', () => {
    const r = fails(
      judge(report({ vulnerabilities: [vuln('CVE-2024-1', 'critical')] }), { vulnerabilities: { maxSeverity: 'high' } }),
      'vulnerabilities',
      'CVE-2024-1',
      '3.0.12',
    );
    assert.deepEqual(r.evidence.items[0], {
      id: 'CVE-2024-1',
      package: 'openssl',
      version: '3.0.11',
      fixedVersion: '3.0.12',
      severity: 'critical',
    });
    assert.match(r.remediation, /upgrade openssl to 3\.0\.12/);
  });
  it('passes at or below the maximum severity', () => {
    passes(judge(report({ vulnerabilities: [vuln('CVE-2024-1', 'high')] }), { vulnerabilities: { maxSeverity: 'high' } }));
  });
  it('fails at the CVSS threshold, passes under it', () => {
    const cfg = { vulnerabilities: { maxSeverity: 'critical' as const, maxCvss: 7 } };
    fails(judge(report({ vulnerabilities: [vuln('CVE-2024-2', 'medium', { cvss: 7.5 })] }), cfg), 'vulnerabilities', 'CVE-2024-2');
    passes(judge(report({ vulnerabilities: [vuln('CVE-2024-2', 'medium', { cvss: 6.9 })] }), cfg));
  });
  it('only-with-fix ignores findings without a fix', () => {
    const unfixed = report({ vulnerabilities: [vuln('CVE-2024-3', 'critical', { fixedVersion: undefined })] });
    passes(judge(unfixed, { vulnerabilities: { maxSeverity: 'high', ignoreUnfixed: true } }));
    fails(judge(unfixed, { vulnerabilities: { maxSeverity: 'high' } }), 'vulnerabilities', 'no fix');
  });
  it('the block list fails whatever the severity (also by alias)', () => {
    const r = report({ vulnerabilities: [vuln('GHSA-xxxx', 'low', { aliases: ['CVE-2021-44228'] })] });
    fails(judge(r, { vulnerabilities: { maxSeverity: 'critical', deny: ['CVE-2021-44228'] } }), 'vulnerabilities', 'block list');
    passes(judge(r, { vulnerabilities: { maxSeverity: 'critical', deny: ['CVE-1999-0001'] } }));
  });
  it('an allow-list entry passes until it expires, and the expiry flips the decision', () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-4', 'critical')] });
    const expiresAt = new Date('2026-03-01T00:00:00Z');
    const cfg = {
      vulnerabilities: { maxSeverity: 'high' as const, allowList: [{ id: 'CVE-2024-4', reason: 'not reachable', expiresAt }] },
    };
    const before = judge(r, cfg, [], new Date(expiresAt.getTime() - 1));
    passes(before);
    assert.deepEqual(before.reevaluateAt, expiresAt, 'asks to be re-evaluated at the expiry');
    fails(judge(r, cfg, [], expiresAt), 'vulnerabilities', 'CVE-2024-4');
  });
  it('a grace period after the fix was published passes until it ends', () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-5', 'critical', { fixPublishedAt: '2026-01-25T00:00:00Z' })] });
    const cfg = { vulnerabilities: { maxSeverity: 'high' as const, gracePeriodDays: 14 } };
    passes(judge(r, cfg));
    fails(judge(r, cfg, [], new Date('2026-02-09T00:00:00Z')), 'vulnerabilities', 'CVE-2024-5');
    // No fix date: no grace.
    fails(judge(report({ vulnerabilities: [vuln('CVE-2024-6', 'critical')] }), cfg), 'vulnerabilities', 'CVE-2024-6');
  });
});

describe('sensitive data', () => {
  const snakeoil = {
    rule: 'private-key',
    path: 'etc/ssl/private/ssl-cert-snakeoil.key',
    severity: 'high' as const,
    masked: '-----BEGIN PRIVATE KEY-----****',
  };
  it('a private key makes the image non-compliant, naming the path (masked evidence only)', () => {
    const r = fails(
      judge(report({ sensitiveData: [snakeoil] }), { sensitiveData: { block: true } }),
      'sensitiveData',
      'etc/ssl/private/ssl-cert-snakeoil.key',
    );
    assert.deepEqual(r.evidence.items[0], { rule: 'private-key', path: snakeoil.path, masked: snakeoil.masked });
  });
  it('passes without findings, with the rule ignored, or when other rules are chosen', () => {
    passes(judge(report(), { sensitiveData: { block: true } }));
    passes(judge(report({ sensitiveData: [snakeoil] }), { sensitiveData: { block: true, ignoreRules: ['private-key'] } }));
    passes(judge(report({ sensitiveData: [snakeoil] }), { sensitiveData: { block: true, rules: ['aws-access-key'] } }));
  });
});

describe('malware', () => {
  it('fails on a detection, passes without', () => {
    fails(
      judge(report({ malware: [{ name: 'Eicar-Signature', path: 'tmp/eicar.com' }] }), { malware: { block: true } }),
      'malware',
      'tmp/eicar.com',
    );
    passes(judge(report(), { malware: { block: true } }));
  });
});

describe('base images', () => {
  it('fails an unapproved base, passes an approved one', () => {
    fails(
      judge(report({ baseImage: 'docker.io/library/alpine:3.19' }), { baseImages: { allowed: ['docker.io/library/debian*'] } }),
      'baseImages',
      'alpine',
    );
    passes(judge(report(), { baseImages: { allowed: ['docker.io/library/debian'] } }));
  });
});

describe('licences', () => {
  const withLicence = (l: string) => report({ packages: [{ name: 'libfoo', version: '1.0', type: 'deb', licences: [l] }] });
  it('a block list refuses the licence, naming it and the package', () => {
    const r = fails(
      judge(withLicence('AGPL-3.0-only'), { licences: { denied: ['AGPL-3.0-only'] } }),
      'licences',
      'AGPL-3.0-only',
      'libfoo',
    );
    assert.deepEqual(r.evidence.items[0], { package: 'libfoo', licence: 'AGPL-3.0-only' });
    passes(judge(withLicence('MIT'), { licences: { denied: ['AGPL-3.0-only'] } }));
  });
  it('an allow list: OR passes if one option is allowed, AND needs all', () => {
    const allowed = { licences: { allowed: ['MIT', 'Apache-2.0'] } };
    passes(judge(withLicence('GPL-3.0-only OR MIT'), allowed));
    fails(judge(withLicence('GPL-3.0-only AND MIT'), allowed), 'licences', 'GPL-3.0-only AND MIT');
    passes(judge(withLicence('(MIT AND Apache-2.0)'), allowed));
    fails(judge(withLicence('GPL-2.0-only'), allowed), 'licences', 'GPL-2.0-only');
  });
});

describe('packages', () => {
  it('a forbidden package in its range fails; outside it passes', () => {
    fails(judge(report(), { packages: { denied: [{ name: 'openssl', versions: '<3.0.12' }] } }), 'packages', 'openssl');
    passes(judge(report(), { packages: { denied: [{ name: 'openssl', versions: '<3.0.0' }] } }));
  });
  it('a required package must be present within its range', () => {
    fails(judge(report(), { packages: { required: [{ name: 'ca-certificates' }] } }), 'packages', 'ca-certificates is missing');
    fails(judge(report(), { packages: { required: [{ name: 'openssl', versions: '>=3.1' }] } }), 'packages', 'not within >=3.1');
    passes(judge(report(), { packages: { required: [{ name: 'openssl', type: 'deb', versions: '>=3.0 <4' }] } }));
  });
  it('ranges compare versions, not strings', () => {
    assert.equal(satisfiesRange('npm', '4.17.21', '>=4.9.0'), true);
    assert.equal(satisfiesRange('npm', '4.17.21', '^4.17.0'), true);
    assert.equal(satisfiesRange('npm', '4.17.21', '<4.17.21 || >=5'), false);
  });
  it("a package's range is read in its type's ecosystem order (dpkg for deb)", () => {
    const withDeb = (version: string) => report({ packages: [{ name: 'openssl', version, type: 'deb' }] });
    // dpkg: a tilde sorts first, an epoch outranks the upstream version.
    fails(
      judge(withDeb('3.0.11-1~deb12u2'), { packages: { denied: [{ name: 'openssl', versions: '<3.0.11-1' }] } }),
      'packages',
      'openssl',
    );
    passes(judge(withDeb('1:1.0-1'), { packages: { denied: [{ name: 'openssl', versions: '<2.0' }] } }));
  });
  it('deb and rpm versions are compared whole, as reports store them (epoch, version and release apart)', () => {
    const split = (release: string, epoch?: number) =>
      report({ packages: [{ name: 'openssl', type: 'deb', version: '3.0.11', release, ...(epoch ? { epoch } : {}) }] });
    const rule = { packages: { denied: [{ name: 'openssl', versions: '<3.0.11-1~deb12u3' }] } };
    fails(judge(split('1~deb12u2'), rule), 'packages', 'forbidden package openssl');
    passes(judge(split('1~deb12u3'), rule));
    passes(judge(split('1~deb12u2', 1), rule));
  });
  it('a package type with no version ordering: a forbidden range refuses, a required range is not met', () => {
    const withBinary = report({ packages: [{ name: 'tool', version: '1.0', type: 'binary' }] });
    fails(judge(withBinary, { packages: { denied: [{ name: 'tool', versions: '>=2' }] } }), 'packages', 'forbidden package tool');
    fails(judge(withBinary, { packages: { required: [{ name: 'tool', versions: '<2' }] } }), 'packages', 'not within <2');
  });
});

describe('image configuration', () => {
  it('non-root: no user, root or 0 fails; a uid passes', () => {
    for (const user of [undefined, '', 'root', '0', '0:0']) {
      fails(judge(report({ config: { ...(user !== undefined ? { user } : {}) } }), { config: { forbidRootUser: true } }), 'config', 'root');
    }
    passes(judge(report(), { config: { forbidRootUser: true } }));
  });
  it('maximum image age by the config created time', () => {
    fails(
      judge(report({ config: { user: '1', created: '2025-01-01T00:00:00Z' } }), { config: { maxAgeDays: 90 } }),
      'config',
      'older than 90 days',
    );
    passes(judge(report(), { config: { maxAgeDays: 90 } }));
  });
});

describe('custom checks', () => {
  it('a required check that failed or did not run fails; a passed one passes', () => {
    const cfg = { customChecks: [{ id: 'cis-4.1', required: true }] };
    fails(judge(report({ checks: [{ id: 'cis-4.1', passed: false, message: 'no USER' }] }), cfg), 'customChecks', 'cis-4.1 failed');
    fails(judge(report(), cfg), 'customChecks', 'did not run');
    passes(judge(report({ checks: [{ id: 'cis-4.1', passed: true }] }), cfg));
  });
});

describe('registries', () => {
  it('an image from an unapproved registry fails', () => {
    fails(judge(report({}, { registry: 'docker.io' }), { registries: { allowed: ['registry.example.com'] } }), 'registries', 'docker.io');
    passes(judge(report(), { registries: { allowed: ['registry.example.*'] } }));
  });
});

describe('engine', () => {
  const critical = report({ vulnerabilities: [vuln('CVE-2024-7', 'critical')] });
  it('scope: registry, repository and label globs select the policies', () => {
    const p = (scope: ImageAssurancePolicy['scope']) => ref('p', policy({ malware: { block: true } }, { scope }));
    assert.equal(applicablePolicies(critical, [p({ registries: ['registry.example.*'] })]).length, 1);
    assert.equal(applicablePolicies(critical, [p({ registries: ['docker.io'] })]).length, 0);
    assert.equal(applicablePolicies(critical, [p({ repositories: ['registry.example.com/team-a/*'] })]).length, 1);
    assert.equal(applicablePolicies(critical, [p({ repositories: ['team-b/*'] })]).length, 0);
    assert.equal(applicablePolicies(critical, [p({ labels: { team: 'a*' } })]).length, 1);
    assert.equal(applicablePolicies(critical, [p({ labels: { team: 'b' } })]).length, 0);
    assert.equal(applicablePolicies(critical, [ref('off', policy({}, { enabled: false }))]).length, 0);
  });
  it('every applicable policy must pass; an audit policy reports without blocking', () => {
    const strict = ref('a-strict', policy({ vulnerabilities: { maxSeverity: 'high' } }));
    const lax = ref('b-lax', policy({ vulnerabilities: { maxSeverity: 'critical' } }));
    const audit = ref('c-audit', policy({ vulnerabilities: { maxSeverity: 'high' } }, { action: 'audit' }));
    assert.equal(evaluateImage(critical, [lax, strict], [], NOW).compliant, false);
    const e = evaluateImage(critical, [lax, audit], [], NOW);
    assert.equal(e.compliant, true);
    assert.equal(e.reasons.length, 1);
    assert.equal(e.reasons[0]!.action, 'audit');
  });
  it('an exception covers its items until it expires', () => {
    const exc = exception({ scope: { policyId: 'p1', control: 'vulnerabilities', repository: 'team-a/*', items: ['CVE-2024-7'] } });
    const e = judge(critical, { vulnerabilities: { maxSeverity: 'high' } }, [exc]);
    passes(e);
    assert.deepEqual(e.exceptionsApplied, ['exc-1']);
    assert.deepEqual(e.reevaluateAt, exc.expiresAt);
    fails(judge(critical, { vulnerabilities: { maxSeverity: 'high' } }, [exc], exc.expiresAt), 'vulnerabilities', 'CVE-2024-7');
    // Another repository, another item: not covered.
    fails(
      judge(critical, { vulnerabilities: { maxSeverity: 'high' } }, [exception({ scope: { repository: 'team-b/*' } })]),
      'vulnerabilities',
    );
    fails(judge(critical, { vulnerabilities: { maxSeverity: 'high' } }, [exception({ scope: { items: ['CVE-0'] } })]), 'vulnerabilities');
  });
  it('reasons are in a fixed order whatever the order of findings and policies', () => {
    const findings = [vuln('CVE-B', 'high'), vuln('CVE-A', 'critical'), vuln('CVE-C', 'critical')];
    const a = report({ vulnerabilities: findings, malware: [{ name: 'x', path: 'y' }] });
    const b = report({ vulnerabilities: [...findings].reverse(), malware: [{ name: 'x', path: 'y' }] });
    const ps = [
      ref('z', policy({ malware: { block: true }, vulnerabilities: { maxSeverity: 'medium' } })),
      ref('a', policy({ malware: { block: true } })),
    ];
    const ea = evaluateImage(a, ps, [], NOW);
    const eb = evaluateImage(b, [...ps].reverse(), [], NOW);
    assert.deepEqual(ea.reasons, eb.reasons);
    assert.deepEqual(
      ea.reasons.map((r) => `${r.policy}/${r.control}`),
      ['a/malware', 'z/vulnerabilities', 'z/malware'],
    );
    assert.match(ea.reasons[1]!.message, /CVE-A.*CVE-C.*CVE-B/);
  });
});
