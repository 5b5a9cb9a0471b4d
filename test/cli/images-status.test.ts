// `assay images` and `assay status` against a policy service started in-process (real
// nats-server, the test/policy harness): the table, filters and pages of the verdict list, one
// image's verdict by digest, by pinned reference and by tag, and the exit codes.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Compliance, digestBucketKey, VerdictSchema } from '@assay/proto';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runAssay } from './helpers.ts';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const BAD = `sha256:${'b'.repeat(64)}`;
const GOOD = `sha256:${'a'.repeat(64)}`;
const BROKEN = `sha256:${'c'.repeat(64)}`;

async function put(
  h: Harness,
  digest: string,
  tag: string,
  compliance: Compliance,
  offsetS: number,
  reasons: { control: string; message: string }[] = [],
) {
  const v = create(VerdictSchema, {
    image: { registry: 'registry.example.com', repository: 'team/app', tag, digest },
    compliance,
    evaluatedAt: timestampFromDate(new Date(T0 + offsetS * 1000)),
    scannedAt: timestampFromDate(new Date(T0 + offsetS * 1000 - 60_000)),
    policies: [{ id: 'baseline', version: 2 }],
    reasons: reasons.map((r) => ({ policy: 'baseline', ...r })),
  });
  await h.kv.put(digestBucketKey(digest), toBinary(VerdictSchema, v));
}

describe('assay images and assay status (policy service in-process)', () => {
  let h: Harness;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let api: string[];
  before(async () => {
    h = await startHarness();
    dir = await makeTempDir('cli-images');
    const tokenFile = join(dir.path, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    api = ['--api', h.url, '--token-file', tokenFile];
    await put(h, GOOD, 'v2', Compliance.COMPLIANT, 20);
    await put(h, BAD, 'v1', Compliance.NON_COMPLIANT, 10, [
      { control: 'sensitive_data', message: 'private-key at /etc/ssl/private/ssl-cert-snakeoil.key' },
      { control: 'vulnerabilities', message: '2 critical vulnerabilities (CVE-2024-0001, CVE-2024-0002)' },
    ]);
    await put(h, BROKEN, 'v0', Compliance.ERROR, 5);
    const end = Date.now() + 10_000;
    while ((await h.call('GET', '/api/v1/verdicts')).json.items.length < 3) {
      if (Date.now() > end) throw new Error('verdicts not listed');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    await h?.close();
    await dir?.remove();
  });

  it('images prints a table newest first; filters; json output', async () => {
    const r = await runAssay(['images', ...api]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^REPOSITORY:TAG\s+DIGEST\s+VERDICT\s+REASONS\s+EVALUATED$/);
    assert.match(lines[1]!, /^registry\.example\.com\/team\/app:v2\s+sha256:aaaaaaaaaaaa\s+COMPLIANT\s+0\s+2024-05-01 10:00:20Z$/);
    assert.match(lines[2]!, /^registry\.example\.com\/team\/app:v1\s+sha256:bbbbbbbbbbbb\s+NON-COMPLIANT\s+2\s+2024-05-01 10:00:10Z$/);
    assert.match(lines[3]!, /:v0\s+sha256:cccccccccccc\s+ERROR\s+0\s/);
    assert.equal(lines.length, 4);

    const nc = await runAssay(['images', '--compliance', 'non_compliant', ...api]);
    assert.equal(nc.stdout.trimEnd().split('\n').length, 2);
    assert.match(nc.stdout, /:v1 /);
    const q = await runAssay(['images', '-q', 'app:v0', '--repository', 'registry.example.com/team/*', ...api]);
    assert.match(q.stdout, /:v0 /);
    assert.doesNotMatch(q.stdout, /:v1 /);
    const none = await runAssay(['images', '--repository', 'elsewhere.io/**', ...api]);
    assert.equal(none.stdout, 'no images match\n');

    const page = await runAssay(['images', '--limit', '1', '-o', 'json', ...api]);
    const json = JSON.parse(page.stdout);
    assert.equal(json.items.length, 1);
    assert.equal(json.items[0].digest, GOOD);
    const next = await runAssay(['images', '--limit', '1', '--continue', json.continue, ...api]);
    assert.match(next.stdout, /:v1 /);
    assert.match(next.stdout, /^more: assay images … --continue \S+$/m);
  });

  it('images refuses bad options and a wrong token with one line and exit 2', async () => {
    const bad = await runAssay(['images', '--compliance', 'green', ...api]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^assay images: --compliance must be one of compliant, non_compliant, pending, error\n$/);
    const wrong = join(dir.path, 'wrong');
    await writeFile(wrong, 'nope\n');
    const unauth = await runAssay(['images', '--api', h.url, '--token-file', wrong]);
    assert.equal(unauth.code, 2);
    assert.match(unauth.stderr, /HTTP 401/);
    const noApi = await runAssay(['images']);
    assert.equal(noApi.code, 2);
    assert.match(noApi.stderr, /--api <url> is required/);
  });

  it('status by digest: reasons, times, policy versions; exit 1 when non-compliant', async () => {
    const r = await runAssay(['status', BAD, ...api]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      [
        `NON-COMPLIANT registry.example.com/team/app:v1@${BAD}`,
        '  baseline/sensitive_data: private-key at /etc/ssl/private/ssl-cert-snakeoil.key',
        '  baseline/vulnerabilities: 2 critical vulnerabilities (CVE-2024-0001, CVE-2024-0002)',
        'evaluated: 2024-05-01 10:00:10Z',
        'scanned:   2024-05-01 09:59:10Z',
        'policies:  baseline v2',
        '',
      ].join('\n'),
    );
  });

  it('status by tag and by pinned reference; exit 0 compliant, 2 error or unknown', async () => {
    const tag = await runAssay(['status', 'registry.example.com/team/app:v2', ...api]);
    assert.equal(tag.code, 0, tag.stderr);
    assert.match(tag.stdout, new RegExp(`^COMPLIANT registry\\.example\\.com/team/app:v2@${GOOD}\\n  no reasons\\n`));
    const pinned = await runAssay(['status', `registry.example.com/team/app@${BAD}`, '-o', 'json', ...api]);
    assert.equal(pinned.code, 1);
    assert.equal(JSON.parse(pinned.stdout).compliance, 'COMPLIANCE_NON_COMPLIANT');
    const broken = await runAssay(['status', BROKEN, ...api]);
    assert.equal(broken.code, 2);
    assert.match(broken.stdout, /^ERROR /);
    const unknownTag = await runAssay(['status', 'registry.example.com/team/app:v9', ...api]);
    assert.equal(unknownTag.code, 2);
    assert.match(unknownTag.stderr, /no verdict recorded for registry\.example\.com\/team\/app:v9/);
    const unknownDigest = await runAssay(['status', `sha256:${'d'.repeat(64)}`, ...api]);
    assert.equal(unknownDigest.code, 2);
    assert.match(unknownDigest.stderr, /HTTP 404: no verdict for sha256:d+/);
    const nonsense = await runAssay(['status', 'Not A Ref', ...api]);
    assert.equal(nonsense.code, 2);
    assert.match(nonsense.stderr, /neither a digest nor an image reference/);
  });
});
