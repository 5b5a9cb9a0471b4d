// The intelligence controls: kev (known exploited), epss (likely exploited) and osEndOfLife, each
// failing with a reason naming the CVE, score or date, evidence per finding, and exceptions by
// control and item; an end-of-life verdict flips on the day, judged by the evaluation time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateImage, type Evaluation } from '@assay/policy-engine';
import { validateImagePolicy, type ImageAssurancePolicy, type PolicyException, type ScanReport } from '@assay/domain';
import { exception, policy, ref, report, vuln } from './fixtures.ts';

const NOW = new Date('2026-12-06T00:00:00Z');

function judge(r: ScanReport, controls: ImageAssurancePolicy['controls'], exceptions: PolicyException[] = [], now = NOW): Evaluation {
  return evaluateImage(r, [ref('p1', policy(controls))], exceptions, now);
}

const log4j = vuln('GHSA-jfh8-c2jp-5v3q', 'critical', {
  packageName: 'log4j-core',
  packageVersion: '2.14.1',
  fixedVersion: '2.15.0',
  aliases: ['CVE-2021-44228'],
  epss: { score: 0.94358, percentile: 0.99957, cve: 'CVE-2021-44228' },
  kev: { cve: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', ransomware: true },
});
const uaf = vuln('CVE-2023-0002', 'low', {
  fixedVersion: undefined,
  epss: { score: 0.2715, percentile: 0.96321, cve: 'CVE-2023-0002' },
  kev: { cve: 'CVE-2023-0002', dateAdded: '2024-03-05', dueDate: '2024-03-26' },
});
const quiet = vuln('CVE-2023-0001', 'high', { epss: { score: 0.00043, percentile: 0.11502 } });
const intelReport = report({ vulnerabilities: [log4j, uaf, quiet] });

describe('kev', () => {
  it('fails every finding in the catalogue, whatever its severity, naming the CVE, the dates and the fix', () => {
    const e = judge(intelReport, { kev: { block: true } });
    assert.equal(e.compliant, false);
    const r = e.reasons.find((x) => x.control === 'kev')!;
    assert.deepEqual(r.items, ['CVE-2023-0002', 'GHSA-jfh8-c2jp-5v3q']);
    assert.equal(r.severity, 'critical');
    assert.match(
      r.message,
      /GHSA-jfh8-c2jp-5v3q \(CVE-2021-44228\) in log4j-core 2\.14\.1 is known exploited \(CISA KEV since 2021-12-10, due 2021-12-24, used in ransomware campaigns\)/,
    );
    assert.deepEqual(r.evidence.items[1], {
      id: 'GHSA-jfh8-c2jp-5v3q',
      cve: 'CVE-2021-44228',
      package: 'log4j-core',
      version: '2.14.1',
      dateAdded: '2021-12-10',
      dueDate: '2021-12-24',
      ransomware: true,
      fixedVersion: '2.15.0',
    });
    assert.match(r.remediation, /upgrade log4j-core to 2\.15\.0 or later/);
  });
  it('ransomwareOnly keeps only ransomware-linked entries; block false and no KEV pass', () => {
    const r = judge(intelReport, { kev: { block: true, ransomwareOnly: true } }).reasons.find((x) => x.control === 'kev')!;
    assert.deepEqual(r.items, ['GHSA-jfh8-c2jp-5v3q']);
    assert.equal(judge(intelReport, { kev: { block: false } }).compliant, true);
    assert.equal(judge(report({ vulnerabilities: [quiet] }), { kev: { block: true } }).compliant, true);
  });
  it('an exception for the kev control covers a finding by its alias', () => {
    const e = judge(intelReport, { kev: { block: true } }, [
      exception({ scope: { control: 'kev', items: ['CVE-2021-44228', 'CVE-2023-0002'] }, expiresAt: new Date('2027-06-01T00:00:00Z') }),
    ]);
    assert.equal(e.compliant, true);
    assert.deepEqual(e.exceptionsApplied, ['exc-1']);
  });
});

describe('epss', () => {
  it('fails at or above the score, naming score, percentile and the limit', () => {
    const r = judge(intelReport, { epss: { minScore: 0.2715 } }).reasons.find((x) => x.control === 'epss')!;
    assert.deepEqual(r.items, ['GHSA-jfh8-c2jp-5v3q', 'CVE-2023-0002'], 'at the limit fails, below passes');
    assert.match(
      r.message,
      /GHSA-jfh8-c2jp-5v3q \(CVE-2021-44228\) in log4j-core 2\.14\.1: EPSS 0\.94358 \(99\.96% percentile\), score limit 0\.2715/,
    );
    assert.deepEqual(r.evidence.items[1], {
      id: 'CVE-2023-0002',
      cve: 'CVE-2023-0002',
      package: 'openssl',
      version: '3.0.11',
      epss: 0.2715,
      percentile: 0.96321,
    });
    assert.match(r.remediation, /no fix yet: remove openssl/);
  });
  it('fails by percentile alone; passes under both limits', () => {
    const r = judge(intelReport, { epss: { minPercentile: 0.99 } }).reasons.find((x) => x.control === 'epss')!;
    assert.deepEqual(r.items, ['GHSA-jfh8-c2jp-5v3q']);
    assert.match(r.message, /percentile limit 0\.99/);
    assert.equal(judge(intelReport, { epss: { minScore: 0.95, minPercentile: 0.9999 } }).compliant, true);
  });
  it('a policy must give a score or a percentile', () => {
    assert.throws(() => validateImagePolicy(policy({ epss: {} })), /minScore or minPercentile/);
    assert.throws(() => validateImagePolicy(policy({ epss: { minScore: 2 } })), /epss/);
  });
});

describe('osEndOfLife', () => {
  const os = (eol: string) => report({ os: { family: 'debian', name: '11.9', eol, eolReached: false } });
  it('fails past the date, naming the release and the date, whatever eolReached said at scan time', () => {
    const e = judge(os('2026-08-31'), { osEndOfLife: { block: true } });
    assert.equal(e.compliant, false);
    const r = e.reasons.find((x) => x.control === 'osEndOfLife')!;
    assert.match(r.message, /debian 11\.9 reached its end of life on 2026-08-31: no more security fixes/);
    assert.deepEqual(r.evidence.items[0], { os: 'debian 11.9', eol: '2026-08-31', eolReached: true });
    assert.match(r.remediation, /supported debian release/);
  });
  it('passes before the date and asks to be re-evaluated on it; daysBefore fails early', () => {
    const e = judge(os('2027-01-31'), { osEndOfLife: { block: true } });
    assert.equal(e.compliant, true);
    assert.equal(e.reevaluateAt?.toISOString(), '2027-01-31T00:00:00.000Z');
    assert.equal(
      judge(os('2027-01-31'), { osEndOfLife: { block: true } }, [], new Date('2027-01-31T00:00:00Z')).compliant,
      false,
      'on the day',
    );
    const early = judge(os('2027-01-31'), { osEndOfLife: { block: true, daysBefore: 90 } });
    assert.equal(early.compliant, false);
    assert.match(early.reasons[0]!.message, /reaches its end of life on 2027-01-31 \(within 90 days\)/);
  });
  it('an OS without a known date, or no OS, passes; audit only reports', () => {
    assert.equal(judge(report({ os: { family: 'wolfi', name: '20230201' } }), { osEndOfLife: { block: true } }).compliant, true);
    assert.equal(judge(report({}), { osEndOfLife: { block: true } }).compliant, true);
    const audit = evaluateImage(os('2020-01-01'), [ref('p1', policy({ osEndOfLife: { block: true } }, { action: 'audit' }))], [], NOW);
    assert.equal(audit.compliant, true);
    assert.equal(audit.reasons[0]?.action, 'audit');
  });
});
