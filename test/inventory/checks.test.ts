import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Package } from '../../packages/inventory/src/analyzer.ts';
import {
  evaluateChecks,
  InvalidCheckError,
  parseChecks,
  type CheckFilesystem,
  type CheckInput,
  type ImageConfigFacts,
} from '../../packages/inventory/src/checks/index.ts';
import { parseVersionRange } from '@assay/versions';

/** An in-memory final filesystem that records how much each read asked for. */
function memFs(
  files: Record<string, string | Buffer>,
  dirs: string[] = [],
): CheckFilesystem & { reads: { path: string; maxBytes: number }[] } {
  const reads: { path: string; maxBytes: number }[] = [];
  return {
    reads,
    exists: (p) => p in files || dirs.includes(p),
    read(p, maxBytes) {
      reads.push({ path: p, maxBytes });
      const f = files[p];
      return f === undefined ? undefined : Buffer.from(f).subarray(0, maxBytes);
    },
  };
}

const pkg = (name: string, version: string, type: string, extra: Partial<Package> = {}): Package => ({
  name,
  version,
  type,
  purl: `pkg:${type}/${name}@${version}`,
  ...extra,
});

const baseConfig: ImageConfigFacts = {
  user: '1000',
  envNames: ['PATH', 'LANG'],
  labels: { 'org.opencontainers.image.source': 'https://example.test/repo', team: 'platform' },
  created: '2026-11-01T00:00:00Z',
};
const NOW = new Date('2026-11-26T00:00:00Z');

function input(over: Partial<CheckInput> = {}, config: Partial<ImageConfigFacts> = {}): CheckInput {
  return {
    fs: memFs({
      'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n',
      'etc/ssh/sshd_config': 'Port 22\nPermitRootLogin no\nPasswordAuthentication no\n',
      'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    }),
    config: { ...baseConfig, ...config },
    packages: [
      pkg('openssl', '3.0.15', 'deb', { epoch: 0, release: '1~deb12u1' }),
      pkg('bash', '5.2.15', 'deb', { release: '2+b7' }),
      pkg('lodash', '4.17.20', 'npm', { path: 'app/node_modules/lodash/package.json' }),
      pkg('requests', '2.31.0', 'pypi'),
      pkg('mystery', '1.0', 'binary'),
    ],
    now: NOW,
    ...over,
  };
}

function one(check: Record<string, unknown>, inp: CheckInput = input()) {
  const [r] = evaluateChecks([{ id: 'c1', ...check }], inp);
  assert.ok(r);
  assert.equal(r.id, 'c1');
  return r;
}

describe('file checks', () => {
  test('fileExists: passes for a present file (absolute or relative path), fails for a missing one', () => {
    assert.equal(one({ kind: 'fileExists', path: '/etc/os-release' }).passed, true);
    assert.equal(one({ kind: 'fileExists', path: 'etc/./os-release' }).passed, true);
    const r = one({ kind: 'fileExists', path: '/etc/nonexistent' });
    assert.deepEqual(r, { id: 'c1', passed: false, message: '/etc/nonexistent does not exist' });
  });

  test('fileAbsent: passes for a missing file, fails for a present one', () => {
    assert.equal(one({ kind: 'fileAbsent', path: '/root/.ssh/id_rsa' }).passed, true);
    const r = one({ kind: 'fileAbsent', path: '/etc/ssh/sshd_config' });
    assert.equal(r.passed, false);
    assert.match(r.message, /is present/);
  });

  test('fileContentMatches / NotMatches: regex over the file, with flags; a missing file fails both', () => {
    assert.equal(
      one({ kind: 'fileContentMatches', path: '/etc/ssh/sshd_config', pattern: '^PermitRootLogin no$', flags: 'm' }).passed,
      true,
    );
    assert.equal(
      one({ kind: 'fileContentMatches', path: '/etc/ssh/sshd_config', pattern: '^PermitRootLogin yes$', flags: 'm' }).passed,
      false,
    );
    assert.equal(one({ kind: 'fileContentMatches', path: '/etc/ssh/sshd_config', pattern: 'permitrootlogin NO', flags: 'i' }).passed, true);
    assert.equal(one({ kind: 'fileContentNotMatches', path: '/etc/ssh/sshd_config', pattern: 'PermitRootLogin yes' }).passed, true);
    const r = one({ kind: 'fileContentNotMatches', path: '/etc/ssh/sshd_config', pattern: 'PasswordAuthentication no' });
    assert.equal(r.passed, false);
    assert.match(r.message, /matches \/PasswordAuthentication no\//);
    assert.equal(one({ kind: 'fileContentMatches', path: '/etc/missing', pattern: 'x' }).passed, false);
    assert.equal(one({ kind: 'fileContentNotMatches', path: '/etc/missing', pattern: 'x' }).passed, false);
  });

  test('content reads are bounded by maxBytes (a match beyond the bound is not seen)', () => {
    const fs = memFs({ 'big.txt': 'a'.repeat(5000) + 'NEEDLE' });
    const inp = input({ fs });
    assert.equal(one({ kind: 'fileContentMatches', path: 'big.txt', pattern: 'NEEDLE', maxBytes: 1000 }, inp).passed, false);
    assert.equal(one({ kind: 'fileContentMatches', path: 'big.txt', pattern: 'NEEDLE' }, inp).passed, true);
    assert.deepEqual(fs.reads, [
      { path: 'big.txt', maxBytes: 1000 },
      { path: 'big.txt', maxBytes: 1024 * 1024 },
    ]);
  });
});

describe('package checks', () => {
  test('packagePresent by name, by type, by version range', () => {
    assert.equal(one({ kind: 'packagePresent', name: 'openssl' }).passed, true);
    assert.equal(one({ kind: 'packagePresent', name: 'openssl', type: 'rpm' }).passed, false);
    assert.equal(one({ kind: 'packagePresent', name: 'openssl', versionRange: '>=3.0.0 <3.1' }).passed, true);
    const r = one({ kind: 'packagePresent', name: 'openssl', versionRange: '>=3.0.16' });
    assert.equal(r.passed, false);
    assert.match(r.message, /installed: openssl@3\.0\.15-1~deb12u1/);
    assert.equal(one({ kind: 'packagePresent', name: 'curl' }).passed, false);
  });

  test('versions compare in the ecosystem ordering, not as strings', () => {
    // dpkg: 1~deb12u1 sorts before the bare upstream version's revisions; 3.0.15-1~deb12u1 < 3.0.15-1.
    assert.equal(one({ kind: 'packagePresent', name: 'openssl', versionRange: '<3.0.15-1' }).passed, true);
    // semver: 4.17.20 < 4.17.3 as strings, but not as versions.
    assert.equal(one({ kind: 'packageAbsent', name: 'lodash', type: 'npm', versionRange: '<4.17.3' }).passed, true);
    assert.equal(one({ kind: 'packageAbsent', name: 'lodash', type: 'npm', versionRange: '<4.17.21' }).passed, false);
    // PEP 440 and alternatives.
    assert.equal(one({ kind: 'packagePresent', name: 'requests', versionRange: '<2.0 || >=2.31.0' }).passed, true);
    assert.equal(one({ kind: 'packagePresent', name: 'requests', versionRange: '2.31' }).passed, true); // PEP 440: 2.31 == 2.31.0
    assert.equal(one({ kind: 'packagePresent', name: 'requests', versionRange: '!=2.31.0' }).passed, false);
  });

  test('packageAbsent: passes when missing, fails naming where the package was found', () => {
    assert.equal(one({ kind: 'packageAbsent', name: 'telnetd' }).passed, true);
    const r = one({ kind: 'packageAbsent', name: 'lodash' });
    assert.equal(r.passed, false);
    assert.match(r.message, /lodash@4\.17\.20 \(app\/node_modules\/lodash\/package\.json\)/);
  });

  test('packageAbsent with a range fails when the version cannot be ordered (never passes by accident)', () => {
    const r = one({ kind: 'packageAbsent', name: 'mystery', versionRange: '<2' });
    assert.equal(r.passed, false);
    assert.match(r.message, /cannot compare/);
    assert.equal(one({ kind: 'packagePresent', name: 'mystery', versionRange: '<2' }).passed, false);
  });
});

describe('config checks', () => {
  test('nonRootUser: numeric, named (resolved from /etc/passwd), root in every form', () => {
    assert.equal(one({ kind: 'nonRootUser' }).passed, true);
    assert.equal(one({ kind: 'nonRootUser' }, input({}, { user: 'app' })).passed, true);
    assert.equal(one({ kind: 'nonRootUser' }, input({}, { user: '1000:0' })).passed, true);
    for (const user of [undefined, '', 'root', '0', '0:0', 'root:root', 'toor']) {
      const r = one({ kind: 'nonRootUser' }, input({}, { user }));
      assert.equal(r.passed, false, `user ${String(user)}`);
    }
    assert.match(one({ kind: 'nonRootUser' }, input({}, { user: 'toor' })).message, /maps to uid 0/);
    assert.match(one({ kind: 'nonRootUser' }, input({}, { user: 'ghost' })).message, /not in \/etc\/passwd/);
    assert.equal(one({ kind: 'nonRootUser' }, input({ fs: memFs({}) }, { user: 'app' })).passed, false);
    assert.equal(one({ kind: 'nonRootUser', requireNumeric: true }, input({}, { user: 'app' })).passed, false);
    assert.equal(one({ kind: 'nonRootUser', requireNumeric: true }, input({}, { user: '1000' })).passed, true);
  });

  test('noSecretEnvNames: default globs, allow list, custom patterns', () => {
    assert.equal(one({ kind: 'noSecretEnvNames' }).passed, true);
    const env = ['PATH', 'DB_PASSWORD', 'github_token', 'AWS_SECRET_ACCESS_KEY', 'API_KEY_FILE', 'GPG_KEY', 'KEYBOARD'];
    const r = one({ kind: 'noSecretEnvNames' }, input({}, { envNames: env }));
    assert.equal(r.passed, false);
    assert.equal(r.message, 'environment variables suggesting secrets: DB_PASSWORD, github_token, AWS_SECRET_ACCESS_KEY, API_KEY_FILE');
    assert.equal(one({ kind: 'noSecretEnvNames', allow: [] }, input({}, { envNames: ['GPG_KEY'] })).passed, false);
    assert.equal(one({ kind: 'noSecretEnvNames', patterns: ['MY_*'] }, input({}, { envNames: ['DB_PASSWORD'] })).passed, true);
    assert.equal(one({ kind: 'noSecretEnvNames', patterns: ['MY_*'] }, input({}, { envNames: ['my_thing'] })).passed, false);
  });

  test('maxImageAgeDays: within and beyond the limit; no or bad creation time fails', () => {
    assert.equal(one({ kind: 'maxImageAgeDays', days: 30 }).passed, true);
    const r = one({ kind: 'maxImageAgeDays', days: 20 });
    assert.equal(r.passed, false);
    assert.match(r.message, /25 days old/);
    assert.equal(one({ kind: 'maxImageAgeDays', days: 30 }, input({}, { created: undefined })).passed, false);
    assert.equal(one({ kind: 'maxImageAgeDays', days: 30 }, input({}, { created: 'yesterday' })).passed, false);
  });

  test('requiredLabels: names and exact values', () => {
    assert.equal(one({ kind: 'requiredLabels', labels: ['team', { name: 'org.opencontainers.image.source' }] }).passed, true);
    assert.equal(one({ kind: 'requiredLabels', labels: [{ name: 'team', value: 'platform' }] }).passed, true);
    const r = one({ kind: 'requiredLabels', labels: ['owner', { name: 'team', value: 'security' }] });
    assert.equal(r.passed, false);
    assert.equal(r.message, 'owner is missing; team is "platform", expected "security"');
    assert.equal(one({ kind: 'requiredLabels', labels: ['empty'] }, input({}, { labels: { empty: '' } })).passed, false);
  });
});

describe('definitions', () => {
  test('results keep the definitions order and ids', () => {
    const rs = evaluateChecks(
      [
        { id: 'a', kind: 'fileExists', path: '/etc/passwd' },
        { id: 'b', kind: 'nonRootUser' },
        { id: 'c', kind: 'packageAbsent', name: 'bash' },
      ],
      input(),
    );
    assert.deepEqual(
      rs.map((r) => [r.id, r.passed]),
      [
        ['a', true],
        ['b', true],
        ['c', false],
      ],
    );
  });

  const invalid: [string, unknown, string | RegExp][] = [
    ['unknown kind', [{ id: 'x', kind: 'runScript', path: '/x' }], 'checks[0].kind'],
    ['missing path', [{ id: 'x', kind: 'fileExists' }], 'checks[0].path'],
    ['.. in a path', [{ id: 'x', kind: 'fileAbsent', path: '/etc/../root' }], 'checks[0].path'],
    ['bad regex', [{ id: 'x', kind: 'fileContentMatches', path: '/a', pattern: '(unclosed' }], 'checks[0].pattern'],
    ['bad flags', [{ id: 'x', kind: 'fileContentMatches', path: '/a', pattern: 'a', flags: 'g' }], 'checks[0].flags'],
    ['maxBytes too large', [{ id: 'x', kind: 'fileContentMatches', path: '/a', pattern: 'a', maxBytes: 1e9 }], 'checks[0].maxBytes'],
    ['bad range', [{ id: 'x', kind: 'packagePresent', name: 'a', versionRange: '>=1 <<2' }], 'checks[0].versionRange'],
    [
      'range on an unorderable type',
      [{ id: 'x', kind: 'packagePresent', name: 'a', type: 'binary', versionRange: '<2' }],
      'checks[0].type',
    ],
    [
      'negative days',
      [
        { id: 'ok', kind: 'fileExists', path: '/a' },
        { id: 'x', kind: 'maxImageAgeDays', days: -1 },
      ],
      'checks[1].days',
    ],
    ['empty labels', [{ id: 'x', kind: 'requiredLabels', labels: [] }], 'checks[0].labels'],
    ['unknown field', [{ id: 'x', kind: 'nonRootUser', command: 'id -u' }], 'checks[0].command'],
    ['bad id', [{ id: 'has space', kind: 'nonRootUser' }], 'checks[0].id'],
    [
      'duplicate id',
      [
        { id: 'x', kind: 'nonRootUser' },
        { id: 'x', kind: 'fileExists', path: '/a' },
      ],
      'checks[1].id',
    ],
    ['not a list', { id: 'x', kind: 'nonRootUser' }, 'checks'],
  ];
  for (const [name, defs, field] of invalid) {
    test(`invalid definition names its field: ${name}`, () => {
      assert.throws(
        () => parseChecks(defs),
        (err: unknown) => {
          assert.ok(err instanceof InvalidCheckError, String(err));
          if (typeof field === 'string') assert.equal(err.field, field, err.message);
          else assert.match(err.field, field, err.message);
          assert.ok(err.message.includes(err.field));
          return true;
        },
      );
      // evaluateChecks validates too: nothing is evaluated from a bad definition.
      assert.throws(() => evaluateChecks(defs, input()), InvalidCheckError);
    });
  }

  test('version ranges parse into alternatives of comparators', () => {
    assert.deepEqual(parseVersionRange('>=1.2.0 <2 || = 3'), [
      [
        { op: '>=', version: '1.2.0' },
        { op: '<', version: '2' },
      ],
      [{ op: '=', version: '3' }],
    ]);
    assert.throws(() => parseVersionRange('>=1 ||'));
  });
});
