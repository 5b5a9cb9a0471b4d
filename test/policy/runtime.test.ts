// The runtime decision table: enforce/warn/audit × compliant/non-compliant/unregistered/unscanned,
// with exemptions and break-glass exceptions; and which runtime policy governs a namespace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { decideAdmission, selectRuntimePolicy, type AdmissionInput, type RuntimePolicyRef } from '@assay/runtime-policy';
import type { PolicyException, RuntimePolicy } from '@assay/domain';
import { sha } from './fixtures.ts';

const NOW = new Date('2026-02-01T00:00:00Z');
const image = { registry: 'registry.example.com', repository: 'team-a/api', digest: sha('img') };

function rp(over: Partial<RuntimePolicy> = {}, id = 'rt'): RuntimePolicyRef {
  return {
    id,
    version: 1,
    policy: {
      name: id,
      enabled: true,
      enforcement: 'enforce',
      scope: { namespaces: ['*'] },
      imagePolicies: [],
      blockUnregistered: true,
      blockPending: true,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      ...over,
    },
  };
}

const verdicts: Record<'compliant' | 'non-compliant' | 'unregistered' | 'unscanned', AdmissionInput['verdict']> = {
  compliant: { compliance: Compliance.COMPLIANT, reasons: [] },
  'non-compliant': {
    compliance: Compliance.NON_COMPLIANT,
    reasons: [{ policy: 'baseline', control: 'vulnerabilities', message: '1 finding: CVE-2024-1', severity: 'critical' }],
  },
  unregistered: undefined,
  unscanned: { compliance: Compliance.PENDING, reasons: [] },
};

function decide(mode: 'enforce' | 'warn' | 'audit', state: keyof typeof verdicts, over: Partial<AdmissionInput> = {}) {
  return decideAdmission({
    verdict: verdicts[state],
    runtimePolicy: rp({ enforcement: mode }),
    image,
    namespace: 'prod',
    exceptions: [],
    now: NOW,
    ...over,
  });
}

const breakGlass: PolicyException = {
  id: 'bg-1',
  scope: { repository: 'team-a/*', namespaces: ['prod'] },
  reason: 'incident 42',
  createdBy: 'oncall',
  createdAt: new Date('2026-01-31T00:00:00Z'),
  expiresAt: new Date('2026-02-02T00:00:00Z'),
  breakGlass: true,
};

describe('decideAdmission', () => {
  // [mode, state] → allowed, warnings?
  const table: Array<['enforce' | 'warn' | 'audit', keyof typeof verdicts, boolean, boolean]> = [
    ['enforce', 'compliant', true, false],
    ['enforce', 'non-compliant', false, false],
    ['enforce', 'unregistered', false, false],
    ['enforce', 'unscanned', false, false],
    ['warn', 'compliant', true, false],
    ['warn', 'non-compliant', true, true],
    ['warn', 'unregistered', true, true],
    ['warn', 'unscanned', true, true],
    ['audit', 'compliant', true, false],
    ['audit', 'non-compliant', true, false],
    ['audit', 'unregistered', true, false],
    ['audit', 'unscanned', true, false],
  ];
  for (const [mode, state, allowed, warns] of table) {
    it(`${mode} × ${state} → ${allowed ? 'allowed' : 'denied'}${warns ? ' with warnings' : ''}`, () => {
      const d = decide(mode, state);
      assert.equal(d.allowed, allowed);
      assert.equal(d.mode, mode);
      assert.equal(d.warnings.length > 0, warns, JSON.stringify(d));
      assert.equal(d.violations.length > 0, state !== 'compliant', 'what enforcement would refuse is reported in every mode');
      if (!allowed)
        assert.match(
          d.message,
          state === 'non-compliant' ? /non-compliant.*CVE-2024-1/ : state === 'unregistered' ? /not registered/ : /not been scanned/,
        );
      if (mode === 'audit' && state !== 'compliant') assert.match(d.message, /^audit only/);
    });
  }

  for (const mode of ['enforce', 'warn', 'audit'] as const) {
    for (const state of ['non-compliant', 'unregistered', 'unscanned'] as const) {
      it(`${mode} × ${state}: a namespace or image exemption allows without violations`, () => {
        const ns = decideAdmission({
          verdict: verdicts[state],
          runtimePolicy: rp({ enforcement: mode, exemptions: { namespaces: ['kube-*'] } }),
          image,
          namespace: 'kube-system',
          exceptions: [],
          now: NOW,
        });
        assert.equal(ns.allowed, true);
        assert.match(ns.message, /namespace kube-system is exempt/);
        const img = decideAdmission({
          verdict: verdicts[state],
          runtimePolicy: rp({ enforcement: mode, exemptions: { images: ['registry.example.com/team-a/*'] } }),
          image,
          namespace: 'prod',
          exceptions: [],
          now: NOW,
        });
        assert.equal(img.allowed, true);
        assert.deepEqual(img.violations, []);
      });
      it(`${mode} × ${state}: a break-glass exception admits and reports its id; expired or elsewhere it does not`, () => {
        const d = decide(mode, state, { exceptions: [breakGlass] });
        assert.equal(d.allowed, true);
        assert.equal(d.exceptionId, 'bg-1');
        assert.match(d.warnings[0]!, /break-glass exception bg-1 \(incident 42\)/);
        const expired = decide(mode, state, { exceptions: [breakGlass], now: breakGlass.expiresAt });
        assert.equal(expired.exceptionId, undefined);
        assert.equal(expired.allowed, mode !== 'enforce');
        const otherNs = decide(mode, state, { exceptions: [breakGlass], namespace: 'dev' });
        assert.equal(otherNs.exceptionId, undefined);
      });
    }
  }

  it('a compliant image needs no break-glass exception (none reported)', () => {
    assert.equal(decide('enforce', 'compliant', { exceptions: [breakGlass] }).exceptionId, undefined);
  });

  it('unregistered images pass when blockUnregistered is off', () => {
    const d = decideAdmission({
      verdict: undefined,
      runtimePolicy: rp({ blockUnregistered: false }),
      image,
      namespace: 'prod',
      exceptions: [],
      now: NOW,
    });
    assert.equal(d.allowed, true);
  });

  it('not-yet-scanned: deny, allow-and-request-scan, or wait with a deadline then deny', () => {
    const base = { verdict: verdicts.unscanned, image, namespace: 'prod', exceptions: [], now: NOW };
    assert.equal(decideAdmission({ ...base, runtimePolicy: rp({ pending: { action: 'deny' } }) }).allowed, false);
    const req = decideAdmission({ ...base, runtimePolicy: rp({ pending: { action: 'allow-and-request-scan' } }) });
    assert.equal(req.allowed, true);
    assert.equal(req.requestScan, true);
    assert.match(req.warnings[0] ?? '', /not scanned yet; a scan was requested$/);
    // A dry run requests nothing, and its warning must not claim otherwise.
    const dry = decideAdmission({ ...base, runtimePolicy: rp({ pending: { action: 'allow-and-request-scan' } }), dryRun: true });
    assert.match(dry.warnings[0] ?? '', /not scanned yet; a scan would be requested \(dry run: none was\)$/);
    const wait = decideAdmission({ ...base, runtimePolicy: rp({ pending: { action: 'wait', waitMs: 3000 } }) });
    assert.equal(wait.outcome, 'wait');
    assert.deepEqual(wait.deadline, new Date(NOW.getTime() + 3000));
    const after = decideAdmission({ ...base, runtimePolicy: rp({ pending: { action: 'wait', waitMs: 3000 } }), waitExpired: true });
    assert.equal(after.outcome, 'deny');
    assert.match(after.message, /waited/);
  });

  it('a failed scan is refused under enforce', () => {
    const d = decideAdmission({
      verdict: { compliance: Compliance.ERROR, reasons: [] },
      runtimePolicy: rp(),
      image,
      namespace: 'prod',
      exceptions: [],
      now: NOW,
    });
    assert.equal(d.allowed, false);
    assert.match(d.message, /scan .* failed/);
  });

  it('a runtime policy listing image policies enforces only their reasons; registries outside the allow list are refused', () => {
    const v = verdicts['non-compliant'];
    assert.equal(
      decideAdmission({ verdict: v, runtimePolicy: rp({ imagePolicies: ['other'] }), image, namespace: 'prod', exceptions: [], now: NOW })
        .allowed,
      true,
    );
    assert.equal(
      decideAdmission({
        verdict: v,
        runtimePolicy: rp({ imagePolicies: ['baseline'] }),
        image,
        namespace: 'prod',
        exceptions: [],
        now: NOW,
      }).allowed,
      false,
    );
    const reg = decideAdmission({
      verdict: verdicts.compliant,
      runtimePolicy: rp({ allowedRegistries: ['ghcr.io'] }),
      image,
      namespace: 'prod',
      exceptions: [],
      now: NOW,
    });
    assert.equal(reg.allowed, false);
    assert.match(reg.message, /registry registry.example.com is not allowed/);
  });

  describe('blockNonCompliant', () => {
    const under = (over: Partial<RuntimePolicy>, state: keyof typeof verdicts = 'non-compliant') =>
      decideAdmission({ verdict: verdicts[state], runtimePolicy: rp(over), image, namespace: 'prod', exceptions: [], now: NOW });

    it('true or absent: a non-compliant image is refused under enforce (the default)', () => {
      for (const over of [{}, { blockNonCompliant: true }]) {
        const d = under(over);
        assert.equal(d.allowed, false);
        // Without the reference as written (policy's own use), the canonical name with its digest.
        assert.deepEqual(d.violations, [
          `image "registry.example.com/team-a/api@${image.digest}" is non-compliant: baseline/vulnerabilities: 1 finding: CVE-2024-1`,
        ]);
        assert.equal(d.advisories, undefined);
      }
    });

    for (const mode of ['enforce', 'warn', 'audit'] as const) {
      it(`false × ${mode}: a non-compliant image is allowed, and the decision says so`, () => {
        const d = under({ enforcement: mode, blockNonCompliant: false });
        assert.equal(d.allowed, true);
        assert.equal(d.outcome, 'allow');
        assert.deepEqual(d.violations, [], 'nothing enforcement would refuse');
        assert.equal(d.advisories?.length, 1);
        assert.match(
          d.advisories![0]!,
          /is non-compliant: baseline\/vulnerabilities: 1 finding: CVE-2024-1 \(not blocked: runtime policy rt does not block non-compliant images\)/,
        );
        if (mode === 'audit') {
          assert.deepEqual(d.warnings, []);
          assert.match(d.message, /^audit only: image .* is non-compliant/);
        } else {
          assert.deepEqual(d.warnings, d.advisories);
          assert.match(d.message, /^allowed: image .* is non-compliant/);
        }
      });
    }

    it('false does not relax the other checks: unregistered, failed scans and registries still refuse', () => {
      assert.equal(under({ blockNonCompliant: false }, 'unregistered').allowed, false);
      assert.equal(under({ blockNonCompliant: false, allowedRegistries: ['ghcr.io'] }, 'compliant').allowed, false);
      const failed = decideAdmission({
        verdict: { compliance: Compliance.ERROR, reasons: [] },
        runtimePolicy: rp({ blockNonCompliant: false }),
        image,
        namespace: 'prod',
        exceptions: [],
        now: NOW,
      });
      assert.equal(failed.allowed, false);
      assert.deepEqual(under({ blockNonCompliant: false }, 'compliant'), under({}, 'compliant'));
    });
  });

  describe('audit-only reasons never refuse', () => {
    const audited = {
      policy: 'watch',
      control: 'licences',
      message: 'audit only: 1 finding: AGPL-3.0-only in libfoo',
      severity: 'medium',
      auditOnly: true,
    };
    const blocking = {
      policy: 'baseline',
      control: 'vulnerabilities',
      message: '1 finding: CVE-2024-1',
      severity: 'critical',
      auditOnly: false,
    };
    const decide = (reasons: Array<typeof audited>, over: Partial<RuntimePolicy> = {}) =>
      decideAdmission({
        verdict: { compliance: Compliance.NON_COMPLIANT, reasons },
        runtimePolicy: rp(over),
        image,
        namespace: 'prod',
        exceptions: [],
        now: NOW,
      });

    it('a runtime policy listing only an audit-action image policy allows, reporting its findings', () => {
      const d = decide([blocking, audited], { imagePolicies: ['watch'] });
      assert.equal(d.allowed, true);
      assert.deepEqual(d.violations, []);
      assert.equal(d.advisories?.length, 1);
      assert.match(d.advisories![0]!, /has audit-only findings: watch\/licences: audit only: 1 finding: AGPL-3\.0-only in libfoo/);
      assert.deepEqual(d.warnings, d.advisories);
      const a = decide([blocking, audited], { imagePolicies: ['watch'], enforcement: 'audit' });
      assert.deepEqual(a.warnings, []);
      assert.match(a.message, /^audit only: .*has audit-only findings/);
    });

    it('a blocking reason still refuses, naming only the blocking reasons; audit-only ones ride along as advisories', () => {
      const d = decide([blocking, audited]);
      assert.equal(d.allowed, false);
      assert.equal(d.violations.length, 1);
      assert.match(d.violations[0]!, /non-compliant: baseline\/vulnerabilities: 1 finding: CVE-2024-1$/);
      assert.equal(d.advisories?.length, 1);
      assert.equal(decide([blocking, audited], { imagePolicies: ['baseline', 'watch'] }).allowed, false);
    });

    it('only audit-only reasons: allowed whatever the listed policies', () => {
      assert.equal(decide([audited]).allowed, true);
      assert.equal(decide([audited], { imagePolicies: [] }).allowed, true);
    });

    it('reasons without the flag (verdicts written before it existed) still refuse', () => {
      const { auditOnly: _, ...legacy } = blocking;
      assert.equal(
        decideAdmission({
          verdict: { compliance: Compliance.NON_COMPLIANT, reasons: [legacy] },
          runtimePolicy: rp(),
          image,
          namespace: 'prod',
          exceptions: [],
          now: NOW,
        }).allowed,
        false,
      );
    });

    it('an index: an audit-only reason of a platform the policy runs does not refuse', () => {
      const verdict = {
        compliance: Compliance.NON_COMPLIANT,
        reasons: [],
        platforms: [
          {
            platform: { os: 'linux', architecture: 'amd64' },
            digest: sha('amd64'),
            compliance: Compliance.NON_COMPLIANT,
            reasons: [blocking, audited],
          },
        ],
      };
      const d = decideAdmission({
        verdict,
        runtimePolicy: rp({ imagePolicies: ['watch'] }),
        image,
        namespace: 'prod',
        exceptions: [],
        now: NOW,
      });
      assert.equal(d.allowed, true);
      assert.match(d.advisories![0]!, /linux\/amd64: audit only/);
    });
  });

  describe('an index digest: only the platforms the runtime policy names decide', () => {
    const C = Compliance;
    const platform = (
      os: string,
      architecture: string,
      compliance: Compliance,
      variant = '',
      reasons: Array<{ policy: string; control: string; message: string }> = [],
    ) => ({
      platform: { os, architecture, variant },
      digest: sha(`${architecture}${variant}`),
      compliance,
      reasons,
    });
    const leak = [{ policy: 'baseline', control: 'sensitiveData', message: 'private key at etc/key.pem' }];
    const index = (...platforms: ReturnType<typeof platform>[]): AdmissionInput['verdict'] => ({
      // The aggregate over all platforms, as policy writes it: decisions must not rely on it.
      compliance: platforms.some((p) => p.compliance === C.NON_COMPLIANT) ? C.NON_COMPLIANT : C.COMPLIANT,
      reasons: [],
      platforms,
    });
    const under = (verdict: AdmissionInput['verdict'], platforms: RuntimePolicy['platforms']) =>
      decideAdmission({ verdict, runtimePolicy: rp({ platforms }), image, namespace: 'prod', exceptions: [], now: NOW });
    const amd64 = { os: 'linux', architecture: 'amd64' };
    const arm64 = { os: 'linux', architecture: 'arm64' };

    it('a non-compliant platform the policy does not run is ignored; one it runs refuses, naming the platform', () => {
      const v = index(platform('linux', 'amd64', C.COMPLIANT), platform('linux', 'arm64', C.NON_COMPLIANT, 'v8', leak));
      assert.equal(under(v, [amd64]).allowed, true);
      const both = under(v, [amd64, arm64]);
      assert.equal(both.allowed, false);
      assert.match(both.message, /non-compliant: baseline\/sensitiveData: linux\/arm64\/v8: private key at etc\/key\.pem/);
      // A wanted variant must match; without one any variant does.
      assert.equal(under(v, [{ ...arm64, variant: 'v9' }]).allowed, false, 'no linux/arm64/v9 offered');
      assert.equal(under(v, [{ ...arm64, variant: 'v8' }]).allowed, false);
    });

    it('pending, failed and compliant platforms, each as a single image would be', () => {
      const v = index(
        platform('linux', 'amd64', C.PENDING),
        platform('linux', 'arm64', C.ERROR),
        platform('linux', 'ppc64le', C.COMPLIANT),
      );
      assert.match(under(v, [amd64]).message, /has not been scanned yet/);
      assert.match(under(v, [arm64]).message, /scan of .* failed/);
      assert.equal(under(v, [{ os: 'linux', architecture: 'ppc64le' }]).allowed, true);
      // Non-compliance is decided without waiting for the slowest platform.
      const w = index(platform('linux', 'amd64', C.PENDING), platform('linux', 'arm64', C.NON_COMPLIANT, '', leak));
      assert.match(under(w, [amd64, arm64]).message, /non-compliant/);
    });

    it('an index offering none of the named platforms is refused, listing what it has', () => {
      const v = index(platform('linux', 'amd64', C.COMPLIANT), platform('linux', 'arm64', C.COMPLIANT, 'v8'));
      const d = under(v, [{ os: 'linux', architecture: 's390x' }]);
      assert.equal(d.allowed, false);
      assert.match(
        d.message,
        /offers none of the platforms runtime policy rt admits \(linux\/s390x\); it has linux\/amd64, linux\/arm64\/v8/,
      );
    });
  });

  it('no runtime policy: allowed, mode none', () => {
    const d = decideAdmission({ verdict: undefined, runtimePolicy: undefined, image, namespace: 'prod', exceptions: [], now: NOW });
    assert.deepEqual([d.allowed, d.mode], [true, 'none']);
  });
});

describe('selectRuntimePolicy', () => {
  const all = [
    rp({ scope: { namespaces: ['*'] } }, 'catch-all'),
    rp({ scope: { namespaces: ['prod-*'] } }, 'prod-glob'),
    rp({ scope: { namespaces: ['prod-eu'] } }, 'prod-eu'),
    rp({ scope: { namespaces: ['prod-*'], labels: { tier: 'gold' } } }, 'prod-gold'),
    rp({ scope: { namespaces: ['prod-us'] }, enabled: false }, 'disabled'),
    rp({ scope: { namespaces: ['*'], clusters: ['east-*'] } }, 'east'),
  ];
  it('the most specific enabled policy wins', () => {
    assert.equal(selectRuntimePolicy('prod-eu', {}, all)?.id, 'prod-eu');
    assert.equal(selectRuntimePolicy('prod-us', {}, all)?.id, 'prod-glob');
    assert.equal(selectRuntimePolicy('prod-us', { tier: 'gold' }, all)?.id, 'prod-gold');
    assert.equal(selectRuntimePolicy('dev', {}, all)?.id, 'catch-all');
    assert.equal(selectRuntimePolicy('dev', {}, all, 'east-1')?.id, 'catch-all', 'ties broken by id');
    assert.equal(
      selectRuntimePolicy(
        'dev',
        {},
        all.filter((r) => r.id === 'east'),
        'west-1',
      ),
      undefined,
    );
    assert.equal(selectRuntimePolicy('dev', {}, []), undefined);
  });
  it('namespace labels: all must be equal, count like labels, and unknown labels never match', () => {
    const pci = rp({ scope: { namespaces: ['*'], namespaceLabels: { compliance: 'pci', env: 'prod' } } }, 'pci');
    const withNs = [...all, pci];
    assert.equal(selectRuntimePolicy('dev', {}, withNs, undefined, { compliance: 'pci', env: 'prod', x: 'y' })?.id, 'pci');
    assert.equal(selectRuntimePolicy('dev', {}, withNs, undefined, { compliance: 'pci' })?.id, 'catch-all', 'one label differs');
    // Unknown (no watch, namespace not seen): fail towards the less specific policy.
    assert.equal(selectRuntimePolicy('dev', {}, withNs)?.id, 'catch-all');
    assert.equal(selectRuntimePolicy('dev', {}, [pci]), undefined);
    // Two namespace labels beat one workload label under the same namespace glob.
    const gold = rp({ scope: { namespaces: ['*'], labels: { tier: 'gold' } } }, 'a-gold');
    assert.equal(selectRuntimePolicy('dev', { tier: 'gold' }, [gold, pci], undefined, { compliance: 'pci', env: 'prod' })?.id, 'pci');
    // An exact namespace name still beats any number of labels.
    assert.equal(selectRuntimePolicy('prod-eu', {}, withNs, undefined, { compliance: 'pci', env: 'prod' })?.id, 'prod-eu');
  });
});
