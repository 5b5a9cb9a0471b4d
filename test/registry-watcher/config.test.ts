// registry-watcher's library pieces without servers: the registry list is validated into one
// clear error line naming the field (and never echoing credentials); reference keys for the
// tags bucket round-trip; notification triage; the bounded work queue refuses when full.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '@assay/config';
import { createService } from '@assay/service-kit';
import { decodeBucketKey, encodeBucketKey } from '@assay/proto';
import { parseRegistries } from '@assay/registry-client';
import { discoveryEventId, indexEventId, registryWatcherService, tagKey, triageDistribution, WorkQueue } from '@assay/registry-watcher';

function configError(env: Record<string, string>): string {
  try {
    createService(registryWatcherService, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  test('no registries is valid (nothing to watch)', () => {
    const svc = createService(registryWatcherService, { env: {} });
    assert.deepEqual(svc.config.WATCHER_REGISTRIES, []);
  });

  test('a bad field is named in one line, without echoing the list (it holds credentials)', () => {
    const list = (r: object) =>
      JSON.stringify([
        { name: 'a', url: 'http://127.0.0.1:5000', insecure: true, credentials: { username: 'u', password: 'hunter2' }, ...r },
      ]);
    const cases: Array<[object, RegExp]> = [
      [{ pollIntervalSeconds: 'soon' }, /\[0\]\.pollIntervalSeconds is invalid/],
      [{ pollIntervalSeconds: -1 }, /\[0\]\.pollIntervalSeconds is invalid/],
      [{ url: 'ftp://x' }, /\[0\]\.url "ftp:\/\/x" is not a registry URL/],
      [{ insecure: false }, /\[0\]\.url "http:\/\/127\.0\.0\.1:5000" is plain HTTP: set insecure: true/],
      [{ name: 'Bad Name' }, /\[0\]\.name is not a registry name/],
      [{ include: 'team/**' }, /\[0\]\.include is invalid/],
      [{ concurrency: 0 }, /\[0\]\.concurrency is invalid/],
      [{ colour: 'blue' }, /\[0\] has unknown field\(s\) colour/],
      [{ credentials: { username: 'u' } }, /\[0\]\.credentials needs exactly one of password and passwordFile/],
      [
        { credentials: { username: 'u', passwordFile: '/nonexistent/pw' } },
        /\[0\]\.credentials\.passwordFile "\/nonexistent\/pw" cannot be read \(no such file\)/,
      ],
    ];
    for (const [patch, re] of cases) {
      const msg = configError({ WATCHER_REGISTRIES: list(patch) });
      assert.match(msg, /^invalid configuration: WATCHER_REGISTRIES=<redacted> is not a valid registry list: /);
      assert.match(msg, re);
      assert.ok(!msg.includes('hunter2'));
    }
    assert.match(configError({ WATCHER_REGISTRIES: '[{' }), /WATCHER_REGISTRIES=<redacted> is not valid JSON or YAML/);
    assert.match(configError({ WATCHER_REGISTRIES: '{"name": "a"}' }), /is not a list of registries/);
    assert.match(
      configError({
        WATCHER_REGISTRIES: JSON.stringify([
          { name: 'a', url: 'r.example' },
          { name: 'a', url: 'q.example' },
        ]),
      }),
      /\[1\]\.name "a" is used twice/,
    );
  });

  test('YAML list in ASSAY_CONFIG_FILE; docker config credentials; defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'watcher-config-'));
    writeFileSync(
      join(dir, 'docker.json'),
      JSON.stringify({ auths: { 'reg.example:5000': { auth: Buffer.from('bob:pw:with:colons').toString('base64') } } }),
    );
    writeFileSync(
      join(dir, 'assay.yaml'),
      `WATCHER_REGISTRIES:\n  - name: main\n    url: reg.example:5000\n    credentials: {dockerConfigFile: ${join(dir, 'docker.json')}}\n    pollIntervalSeconds: 60\n`,
    );
    const svc = createService(registryWatcherService, { env: { ASSAY_CONFIG_FILE: join(dir, 'assay.yaml') } });
    const [r] = svc.config.WATCHER_REGISTRIES;
    assert.equal(r!.host, 'reg.example:5000');
    assert.equal(r!.baseUrl, 'https://reg.example:5000');
    assert.deepEqual(r!.credentials, { username: 'bob', password: 'pw:with:colons' });
    assert.deepEqual(r!.include, ['**']);
    assert.equal(r!.trustNotifications, false);
    assert.equal(r!.concurrency, 4);
  });
});

describe('keys', () => {
  test('references become valid KV keys and back', () => {
    for (const ref of ['127.0.0.1:5000/team/app:v1', 'docker.io/library/nginx:1.27.', '[::1]:5000/a/b:x..y', 'ghcr.io/o/r:latest']) {
      const key = encodeBucketKey(ref);
      assert.match(key, /^[-/_=.A-Za-z0-9]+$/);
      assert.ok(!key.startsWith('.') && !key.endsWith('.') && !key.includes('..'), key);
      assert.equal(decodeBucketKey(key), ref);
    }
    assert.equal(tagKey({ registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1' }), '127.0.0.1=3A5000/team/app=3Av1');
  });

  test('event ids depend on the digest alone', () => {
    const a = discoveryEventId('sha256:' + 'a'.repeat(64));
    assert.equal(a, discoveryEventId('sha256:' + 'a'.repeat(64)));
    assert.notEqual(a, discoveryEventId('sha256:' + 'b'.repeat(64)));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The index announcement of a digest is another event than its image announcement.
    assert.notEqual(indexEventId('sha256:' + 'a'.repeat(64)), a);
    assert.equal(indexEventId('sha256:' + 'a'.repeat(64)), indexEventId('sha256:' + 'a'.repeat(64)));
  });
});

describe('notification triage', () => {
  const [local, other] = parseRegistries([
    { name: 'local', url: 'http://127.0.0.1:5000', insecure: true, trustNotifications: true, notificationHosts: ['registry.internal'] },
    { name: 'other', url: 'http://127.0.0.1:6000', insecure: true },
  ]);
  const digest = 'sha256:' + 'c'.repeat(64);
  const registries = [local!, other!];
  const manifest = 'application/vnd.oci.image.manifest.v1+json';

  test('tagged manifest pushes and deletes become work; the rest is ignored with a reason', () => {
    const t = triageDistribution(
      [
        { action: 'push', target: { repository: 'a', mediaType: manifest, digest, tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { repository: 'a', mediaType: manifest, digest, tag: 'v2' }, request: { host: 'registry.internal' } },
        { action: 'push', target: { repository: 'a', mediaType: 'application/octet-stream', digest }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { repository: 'a', mediaType: manifest, digest }, request: { host: '127.0.0.1:5000' } },
        { action: 'pull', target: { repository: 'a', mediaType: manifest, digest, tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { repository: 'a', mediaType: manifest, digest, tag: 'v1' }, request: { host: '127.0.0.1:6000' } },
        { action: 'delete', target: { repository: 'a', digest }, request: { host: '127.0.0.1:5000' } },
      ],
      registries,
    );
    assert.deepEqual(
      t.items.map((w) => [w.kind, w.registry.name, w.tag ?? '-']),
      [
        ['discover', 'local', 'v1'],
        ['discover', 'local', 'v2'],
        // Pushed by digest: looked at for a `subject` (a referrer), never announced as is.
        ['inspect', 'local', '-'],
        ['forget', 'local', '-'],
      ],
    );
    assert.deepEqual(
      t.ignored.map((i) => i.reason),
      ['not-a-manifest', 'action', 'unmatched-registry'],
    );
  });
});

describe('work queue', () => {
  test('refuses when full, de-duplicates waiting items, retries, and drains', async () => {
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let failOnce = true;
    const q = new WorkQueue<string>({
      capacity: 3,
      workers: 1,
      attempts: 3,
      retryBaseMs: 5,
      key: (s) => s,
      async handle(s) {
        await gate;
        if (s === 'b' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        done.push(s);
      },
    });
    assert.equal(q.enqueue('a'), 'queued');
    assert.equal(q.enqueueAll(['b', 'c']), 'queued');
    assert.equal(q.enqueue('c'), 'duplicate');
    assert.equal(q.enqueue('d'), 'full');
    release();
    await q.idle();
    assert.deepEqual(done.sort(), ['a', 'b', 'c']);
    assert.equal(q.enqueue('d'), 'queued');
    await q.idle();
    await q.stop();
    assert.equal(q.enqueue('e'), 'stopped');
  });
});
