// Re-evaluating many images: reports read in batches, verdict writes pipelined in a bounded
// window (reevaluation.ts). Unit: batches, the window, the first failure. End to end on a real
// nats-server, on SQLite and on the MongoDB stand-in: a policy change re-judges every image.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import type { ImageAssurancePolicy, ScanReport } from '@assay/domain';
import { reevaluateAll, WRITE_WINDOW } from '../../services/policy/src/reevaluation.ts';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('reevaluateAll', () => {
  it('reads in batches, keeps at most WRITE_WINDOW writes under way, counts what was written', async () => {
    const digests = Array.from({ length: 1000 }, (_, i) => `d${i}`);
    const batches: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const r = await reevaluateAll(digests, 16, {
      read: async (some) => {
        batches.push(some.length);
        // Every 10th digest has no stored report.
        return new Map(some.filter((d) => Number(d.slice(1)) % 10 !== 0).map((d) => [d, { d } as unknown as ScanReport]));
      },
      judge: (d, report) => (report ? d : undefined),
      write: async (d) => {
        peak = Math.max(peak, ++inFlight);
        await tick();
        inFlight--;
        return { written: Number(d.slice(1)) % 2 === 1 };
      },
      stopped: () => false,
    });
    assert.deepEqual(r, { evaluated: 1000, written: 500 });
    assert.equal(batches.length, Math.ceil(1000 / 16));
    assert.ok(
      batches.every((n, i) => n === (i < batches.length - 1 ? 16 : 1000 % 16)),
      `batch sizes ${batches}`,
    );
    assert.equal(peak, WRITE_WINDOW, 'the window fills, and never overflows');
  });

  it('the first failure stops further work and is thrown once the writes under way have ended', async () => {
    const digests = Array.from({ length: 5000 }, (_, i) => `d${i}`);
    let started = 0;
    let ended = 0;
    let reads = 0;
    const boom = new Error('write failed');
    await assert.rejects(
      reevaluateAll(digests, 16, {
        read: async (some) => {
          reads++;
          return new Map(some.map((d) => [d, {} as ScanReport]));
        },
        judge: (d) => d,
        write: async (d) => {
          started++;
          await tick();
          ended++;
          if (d === 'd300') throw boom;
          return { written: true };
        },
        stopped: () => false,
      }),
      (err) => err === boom,
    );
    assert.equal(ended, started, 'no write left running');
    assert.ok(started < 1000, `stopped early (${started} writes started)`);
    assert.ok(reads < 5000 / 16, `stopped reading (${reads} batches)`);
  });

  it('stops between batches once stopped', async () => {
    let reads = 0;
    const r = await reevaluateAll(
      Array.from({ length: 100 }, (_, i) => `d${i}`),
      10,
      {
        read: async (some) => {
          reads++;
          return new Map(some.map((d) => [d, {} as ScanReport]));
        },
        judge: (d) => d,
        write: async () => ({ written: true }),
        stopped: () => reads >= 3,
      },
    );
    assert.equal(reads, 3);
    assert.deepEqual(r, { evaluated: 30, written: 30 });
  });
});

const policy = (maxSeverity: 'high' | 'medium'): ImageAssurancePolicy => ({
  name: 'many',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-r/*'] },
  controls: { vulnerabilities: { maxSeverity } },
});

// 40 images: more than two read batches (16 by default). Odd ones have a high vulnerability:
// compliant under maxSeverity high, not under medium.
const IMAGES = 40;
const reports = Array.from({ length: IMAGES }, (_, i) =>
  report(
    { vulnerabilities: [vuln(`CVE-2026-${1000 + i}`, i % 2 === 1 ? 'high' : 'medium')] },
    { repository: `team-r/app-${i}`, digest: sha(`many-${i}`) },
  ),
);

async function policyChangeRejudgesAll(h: Harness): Promise<void> {
  assert.equal((await h.call('POST', '/api/v1/policies', { id: 'many', document: policy('high') })).status, 201);
  for (const r of reports) await h.storeAndAnnounce(r);
  for (const r of reports) {
    const v = await h.waitVerdict(r.image.digest, (x) => x.policies[0]?.version === 1, 30_000);
    assert.equal(v.verdict.compliance, Compliance.COMPLIANT);
  }
  const res = await h.call('PUT', '/api/v1/policies/many', { document: policy('medium') }, { 'if-match': '"1"' });
  assert.equal(res.status, 200, res.text);
  for (const [i, r] of reports.entries()) {
    const v = await h.waitVerdict(r.image.digest, (x) => x.policies[0]?.version === 2, 30_000);
    assert.equal(v.verdict.compliance, i % 2 === 1 ? Compliance.NON_COMPLIANT : Compliance.COMPLIANT, `image ${i}`);
  }
}

describe('re-evaluation after a policy change, end to end', () => {
  let mongo: MongoStandin;
  before(async () => {
    mongo = await startMongoStandin();
  });
  after(async () => {
    await mongo?.close();
  });

  it('on SQLite: every image is judged again under the new version', async () => {
    const h = await startHarness();
    try {
      await policyChangeRejudgesAll(h);
    } finally {
      await h.close();
    }
  });

  it('on MongoDB: every image is judged again under the new version', async () => {
    const h = await startHarness({ MONGO_URL: mongo.url, MONGO_DB: 'reevaluation' });
    try {
      await policyChangeRejudgesAll(h);
    } finally {
      await h.close();
    }
  });
});
