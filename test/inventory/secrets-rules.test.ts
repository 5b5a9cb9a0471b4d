// The secret rules and analyzer on synthetic credentials of every kind an image may carry.
// Values are generated at run time (random bodies, real keys from node:crypto), so no
// credential-shaped literal lives in the repository, and each test checks that the raw value
// never appears in what is reported.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { SensitiveFinding } from '../../packages/inventory/src/analyzer.ts';
import { compileGoRegex, scanContent, scanSecrets, secretAnalyzer } from '../../packages/inventory/src/secrets/index.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rand = (n: number, alphabet = ALNUM) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const upper = (n: number) => rand(n, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');
const hex = (n: number) => rand(n, '0123456789abcdef');
const b64 = (n: number) => randomBytes(n).toString('base64');

function expectFinding(path: string, content: string, rule: string, secret: string): SensitiveFinding {
  const fs = scanContent(path, content);
  const f = fs.find((x) => x.rule === rule);
  assert.ok(f, `${rule} not found in ${path}; got ${fs.map((x) => x.rule).join(',') || 'nothing'}`);
  for (const x of fs) {
    assert.ok(!x.masked.includes(secret), `${x.rule}: raw secret in masked snippet`);
    assert.ok(!JSON.stringify(x).includes(secret), `${x.rule}: raw secret in finding`);
    assert.ok(x.masked.includes('*'));
  }
  return f;
}

test('private keys: PKCS#1, PKCS#8, encrypted, EC, OpenSSH, PGP, legacy encrypted PEM, bundled with a certificate', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const enc = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  const openssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64(180)
    .match(/.{1,70}/g)!
    .join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: test\n\n${b64(300)
    .match(/.{1,64}/g)!
    .join('\n')}\n=${b64(3)}\n-----END PGP PRIVATE KEY BLOCK-----\n`;
  const legacy = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${hex(32).toUpperCase()}\n\n${b64(300)
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END RSA PRIVATE KEY-----\n`;
  const cert = `-----BEGIN CERTIFICATE-----\n${b64(300)
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  for (const [name, pem] of Object.entries({ pkcs1, pkcs8, enc, ec, openssh, pgp, legacy, bundle: cert + pkcs8 })) {
    const body = pem.split('\n').find((l) => l && !l.startsWith('-----') && !l.includes(':') && l.length > 40)!;
    const f = expectFinding(`etc/app/${name}.pem`, pem, 'private-key', body);
    assert.equal(f.severity, 'high', name);
    assert.equal(f.category, 'AsymmetricPrivateKey');
  }
  // A certificate alone is public: nothing to report.
  assert.deepEqual(scanContent('etc/app/cert.pem', cert), []);
});

test('the Debian snakeoil key is reported (etc/ssl/private is not an allowed path)', async () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const a = secretAnalyzer();
  const path = 'etc/ssl/private/ssl-cert-snakeoil.key';
  const content = Buffer.from(key);
  assert.ok(a.required(path, { size: content.length, mode: 0o640 }));
  const r = await a.analyze({ path, content, size: content.length, mode: 0o640 }, { layerDigest: 'sha256:l1' });
  assert.deepEqual(
    r?.sensitiveFindings?.map((f) => [f.rule, f.path, f.layerDigest, f.line, f.severity]),
    [['private-key', path, 'sha256:l1', 2, 'high']],
  );
});

test('cloud and forge tokens', () => {
  const cases: [string, string, string, string][] = [
    // [rule, path, content, secret]
    ['aws-access-key-id', 'app/.env', `AWS_ACCESS_KEY_ID=AKIA${upper(16)}\n`, ''],
    ['aws-access-key-id', 'app/.env', `key: ASIA${upper(16)}\n`, ''],
    ['aws-secret-access-key', 'root/.aws/credentials', `[default]\naws_secret_access_key = ${rand(40)}\n`, ''],
    ['gcp-service-account', 'app/sa.json', `{\n  "type": "service_account",\n  "project_id": "p",\n  "private_key": "x"\n}\n`, ''],
    ['azure-storage-account-key', 'app/appsettings.json', `"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${rand(86)}==;"`, ''],
    ['azure-entra-client-secret', 'app/.env', `AZURE_CLIENT_SECRET=${rand(3)}8Q~${rand(34)}\n`, ''],
    ['github-pat', 'app/.env', `GITHUB_TOKEN=ghp_${rand(36)}\n`, ''],
    ['github-oauth', 'app/.env', `T=gho_${rand(36)}\n`, ''],
    ['github-app-token', 'app/.env', `T=ghu_${rand(36)}\n`, ''],
    ['github-app-token', 'app/.env', `T=ghs_${rand(36)}\n`, ''],
    ['github-refresh-token', 'app/.env', `T=ghr_${rand(76)}\n`, ''],
    ['github-fine-grained-pat', 'app/.env', `T=github_pat_${rand(22)}_${rand(59)}\n`, ''],
    ['gitlab-pat', 'app/.env', `T=glpat-${rand(20)}\n`, ''],
    // A bot token's grammar: xoxb-<team id>-<bot id>-<secret> (digits alone are not one).
    ['slack-access-token', 'app/.env', `SLACK=xoxb-${rand(12, '0123456789')}-${rand(13, '0123456789')}-${rand(24)}\n`, ''],
    ['slack-web-hook', 'app/.env', `HOOK=https://hooks.slack.com/services/${rand(44)}\n`, ''],
    ['npm-access-token', 'app/ci.json', `{"token": "npm_${rand(36)}"}\n`, ''],
    ['pypi-upload-token', 'app/.env', `TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc${rand(60)}\n`, ''],
    ['stripe-secret-token', 'app/.env', `STRIPE=sk_live_${rand(24).toLowerCase()}\n`, ''],
    ['stripe-restricted-key', 'app/.env', `STRIPE=rk_live_${rand(24).toLowerCase()}\n`, ''],
    ['openai-project-api-key', 'app/.env', `OPENAI_API_KEY=sk-proj-${rand(30)}T3BlbkFJ${rand(30)}\n`, ''],
    ['openai-legacy-api-key', 'app/.env', `OPENAI_API_KEY=sk-${rand(20)}T3BlbkFJ${rand(20)}\n`, ''],
  ];
  for (const [rule, path, content] of cases) {
    const f = scanSecrets(path, content).find((x) => x.rule === rule);
    assert.ok(f, `${rule} in ${JSON.stringify(content.slice(0, 40))}`);
    const secret = content.slice(f.offset, f.offset + 12);
    expectFinding(path, content, rule, secret);
  }
});

test('JWT, Docker config.json, dockerconfigjson, kubeconfig, .npmrc, .pypirc', () => {
  const b64u = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ sub: rand(12), iat: 1 })}.${randomBytes(32).toString('base64url')}`;
  expectFinding('app/config.yaml', `auth:\n  bearer: ${jwt}\n`, 'jwt-token', jwt);

  const auth = Buffer.from(`user:${rand(16)}`).toString('base64');
  const docker = JSON.stringify({ auths: { 'registry.example.org': { auth } } }, null, 2);
  const f = expectFinding('root/.docker/config.json', docker, 'docker-config-auth', auth);
  assert.equal(f.line, 4);
  assert.match(f.masked, /"auth": "\*+"/);
  // Same key elsewhere (no "auths" map, other file name): not a Docker credential.
  assert.equal(scanContent('app/settings.json', `{"auth": "${auth}"}`).filter((x) => x.rule === 'docker-config-auth').length, 0);

  const djson = b64u({ auths: { r: { auth } } }).replace(/^eyJ/, 'eyJ');
  expectFinding('deploy/secret.yaml', `data:\n  .dockerconfigjson: ${djson}\n`, 'dockerconfig-secret', djson);

  const keyData = b64(600);
  const token = rand(40);
  const kube = `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k:6443\n  name: k\nusers:\n- name: admin\n  user:\n    client-key-data: ${keyData}\n- name: bot\n  user:\n    token: ${token}\n`;
  expectFinding('root/.kube/config', kube, 'kubeconfig-client-key', keyData.slice(0, 30));
  const t = expectFinding('root/.kube/config', kube, 'kubeconfig-token', token);
  assert.equal(t.line, 13);

  const npmTok = rand(36);
  const npmrc = `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${npmTok}\n//r.example/:_authToken=\${NPM_TOKEN}\n`;
  const fs = scanContent('home/app/.npmrc', npmrc).filter((x) => x.rule === 'npmrc-auth');
  assert.equal(fs.length, 1, 'placeholder ${NPM_TOKEN} is not a secret');
  assert.equal(fs[0]!.masked, `//registry.npmjs.org/:_authToken=${'*'.repeat(36)}`);

  const pw = rand(20);
  expectFinding(
    'root/.pypirc',
    `[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = ${pw}\n`,
    'pypirc-password',
    pw,
  );
});

test('masking keeps the line and stars exactly the secret', () => {
  const id = `AKIA${upper(16)}`;
  const [f] = scanContent('app/.env', `# keys\nexport AWS_ACCESS_KEY_ID=${id}\n`);
  assert.deepEqual(f, {
    rule: 'aws-access-key-id',
    category: 'AWS',
    severity: 'critical',
    path: 'app/.env',
    line: 2,
    masked: `export AWS_ACCESS_KEY_ID=${'*'.repeat(20)}`,
  });
  // Long lines are cut around the secret (Trivy: 30 bytes before, 20 after).
  const long = `${'x'.repeat(200)} token=ghp_${rand(36)} ${'y'.repeat(200)}`;
  const [g] = scanContent('app/min.js', long);
  assert.equal(g?.masked, `${'x'.repeat(23)} token=${'*'.repeat(40)} ${'y'.repeat(19)}`);
});

test('allow rules, user rules, disabled rules, keyword prefilter', () => {
  const tok = `ghp_${rand(36)}`;
  const content = `GITHUB=${tok}\npassword: "${rand(12)}"\n`;
  // Builtin allow rules: tests, examples, docs, system dirs; disableAllowRules turns one off.
  for (const p of [
    'src/test/fixtures/x.env',
    'docs/examples/x.env',
    'README.md',
    'usr/share/doc/x/y',
    'usr/lib/python3/dist-packages/x.py',
  ])
    assert.deepEqual(scanContent(p, content), [], p);
  assert.equal(scanContent('README.md', content, { disableAllowRules: ['markdown'] }).length, 1);
  // A user rule with a secret group, keywords and its own allow rule.
  const rule = {
    id: 'db-password',
    category: 'general',
    title: 'DB password',
    severity: 'high',
    regex: `(?i)password:\\s*"(?P<secret>[^"]{8,})"`,
    secretGroupName: 'secret',
    keywords: ['password'],
  };
  const fs = scanContent('app/config.yaml', content, { rules: [rule] });
  assert.deepEqual(
    fs.map((x) => [x.rule, x.line, x.masked]),
    [
      ['github-pat', 1, `GITHUB=${'*'.repeat(40)}`],
      ['db-password', 2, `password: "${'*'.repeat(12)}"`],
    ],
  );
  assert.deepEqual(
    scanContent('app/config.yaml', content, { rules: [{ ...rule, keywords: ['nope'] }] }).map((x) => x.rule),
    ['github-pat'],
  );
  assert.deepEqual(
    scanContent('app/config.yaml', content, { rules: [rule], disableRules: ['github-pat'] }).map((x) => x.rule),
    ['db-password'],
  );
  assert.deepEqual(scanContent('app/config.yaml', content, { rules: [rule], allowRules: [{ id: 'app', path: '^/?app/' }] }), []);
  assert.deepEqual(
    scanContent('app/config.yaml', content, { rules: [{ ...rule, allowRules: [{ regex: 'password' }] }] }).map((x) => x.rule),
    ['github-pat'],
  );
  assert.deepEqual(scanContent('app/config.yaml', content, { enableBuiltinRules: ['aws-access-key-id'] }), []);
  // Keywords match case-insensitively anywhere, also inside a word or inside another keyword.
  const only = (r: Partial<typeof rule>) => scanContent('app/config.yaml', content, { rules: [{ ...rule, ...r }] }).map((x) => x.rule);
  assert.deepEqual(only({ keywords: ['SSWOR'] }), ['github-pat', 'db-password']);
  assert.deepEqual(only({ keywords: ['nope', 'WORD:'] }), ['github-pat', 'db-password']);
  assert.deepEqual(only({ keywords: ['password:x'] }), ['github-pat']);
  assert.deepEqual(only({ keywords: ['password'], requireAll: ['github=', 'GHP_'] } as Partial<typeof rule>), [
    'github-pat',
    'db-password',
  ]);
  assert.deepEqual(only({ keywords: ['password'], requireAll: ['github=', 'gitlab'] } as Partial<typeof rule>), ['github-pat']);
  // Global allow paths are tried together, each with its own flags.
  assert.deepEqual(scanContent('APP/config.yaml', content, { allowRules: [{ path: '(?i)^/?app/' }] }), []);
  assert.equal(scanContent('APP/config.yaml', content, { allowRules: [{ path: '^/?app/' }] }).length, 1);
});

test('Go regex translation: inline flags, repeated group names, \\A/\\z, dot and CR', () => {
  const a = compileGoRegex('x(?i)ab|cd', 'g');
  assert.ok(a.re.test('xAB') && !'xAB'.match(compileGoRegex('x(?-i)ab').re));
  assert.equal('CD'.match(a.re)?.[0], 'CD');
  const b = compileGoRegex('(?P<s>a)-(?P<s>b)');
  assert.deepEqual(b.groups.get('s'), [1, 2]);
  assert.ok(compileGoRegex('a.b').re.test('a\rb') && !compileGoRegex('a.b').re.test('a\nb'));
  assert.ok(compileGoRegex('(?s)a.b').re.test('a\nb'));
  assert.ok(compileGoRegex(String.raw`\Aab\z`).re.test('ab') && !compileGoRegex(String.raw`\Aab\z`).re.test('xab'));
  assert.throws(() => compileGoRegex('(?U)a+'));
});

test('analyzer: size limit, binaries, skipped paths', async () => {
  const a = secretAnalyzer({ maxFileSize: 1024 });
  assert.equal(a.type, 'secrets');
  assert.equal(a.version, 2);
  assert.equal(a.required('etc/app.conf', { size: 2048, mode: 0o644 }), false);
  assert.equal(a.required('etc/app.conf', { size: 100, mode: 0o644 }), true);
  for (const p of [
    'usr/share/ca-certificates/mozilla/x.crt',
    'etc/ssl/certs/ca-certificates.crt',
    'app/logo.png',
    'app/.git/config',
    'app/node_modules/x/index.js',
    'app/package-lock.json',
    'usr/lib/x86_64-linux-gnu/libc.so.6',
  ])
    assert.equal(secretAnalyzer().required(p, { size: 100, mode: 0o644 }), false, p);
  const tok = `ghp_${rand(36)}`;
  const bin = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]), Buffer.from(` GITHUB=${tok} `)]);
  assert.equal(
    await secretAnalyzer().analyze({ path: 'usr/local/bin/app', content: bin, size: bin.length, mode: 0o755 }, { layerDigest: 'l' }),
    undefined,
  );
  // A key file with a NUL byte is still scanned.
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const withNul = Buffer.concat([Buffer.from([0]), Buffer.from(`\n${pem}`)]);
  const r = await secretAnalyzer().analyze(
    { path: 'etc/ssl/private/app.key', content: withNul, size: withNul.length, mode: 0o600 },
    { layerDigest: 'l' },
  );
  assert.equal(r?.sensitiveFindings?.[0]?.rule, 'private-key');
  const text = Buffer.from(`GITHUB=${tok}\n`);
  const t = await secretAnalyzer().analyze({ path: 'app/.env', content: text, size: text.length, mode: 0o644 }, { layerDigest: 'l' });
  assert.equal(t?.sensitiveFindings?.length, 1);
  assert.ok(!JSON.stringify(t).includes(tok));
});
