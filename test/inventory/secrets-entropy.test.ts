// The entropy gate, the placeholder and documented-example allow rules, and token boundaries.
// Token values are generated at run time (no credential-shaped literal in the repository).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { shannonEntropy } from '../../packages/inventory/src/secrets/entropy.ts';
import { scanSecrets } from '../../packages/inventory/src/secrets/index.ts';

const rand = (n: number, alphabet: string) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rules = (path: string, text: string, config?: Parameters<typeof scanSecrets>[2]) =>
  scanSecrets(path, text, config).map((f) => f.rule);

test('shannonEntropy: bits per symbol', () => {
  assert.equal(shannonEntropy(''), 0);
  assert.equal(shannonEntropy('xxxxxxxx'), 0);
  assert.equal(shannonEntropy('abab'), 1);
  assert.equal(shannonEntropy('abcd'), 2);
  assert.equal(shannonEntropy(Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')), 8);
  assert.ok(shannonEntropy(`ghp_${rand(36, ALNUM)}`) > 4);
});

test('entropy gate: placeholders with a token grammar are not reported, random tokens are', () => {
  assert.deepEqual(rules('app/.env', `GITHUB_TOKEN=ghp_${'x'.repeat(36)}\n`), []);
  assert.deepEqual(rules('app/.env', `KEY=AKIA${'X'.repeat(16)}\n`), []);
  assert.deepEqual(rules('app/.env', `GITLAB_TOKEN=glpat-${'X'.repeat(11)}-${'X'.repeat(8)}\n`), []);
  assert.deepEqual(rules('app/.env', `GITHUB_TOKEN=ghp_${rand(36, ALNUM)}\n`), ['github-pat']);
  assert.deepEqual(rules('app/.env', `KEY=AKIA${rand(16, BASE32)}\n`), ['aws-access-key-id']);
  // A user rule can carry its own floor.
  const config = { rules: [{ id: 'tok', regex: 'tok_[a-z]{8}', entropy: 2 }] };
  assert.deepEqual(rules('app/x', 'tok_aaaaaaaa\n', config), []);
  assert.deepEqual(rules('app/x', 'tok_qwertyui\n', config), ['tok']);
});

test('placeholder values are allowed; the allow rule can be disabled', () => {
  for (const value of ['your-token-here', '<YOUR_NPM_TOKEN>', 'REPLACE_WITH_YOUR_TOKEN', 'changeme-please'])
    assert.deepEqual(rules('home/app/.npmrc', `//registry.npmjs.org/:_authToken=${value}\n`), [], value);
  assert.deepEqual(
    rules('home/app/.npmrc', '//registry.npmjs.org/:_authToken=your-token-here\n', { disableAllowRules: ['placeholders'] }),
    ['npmrc-auth'],
  );
  // A placeholder word in the key, not the value, does not hide a real token.
  assert.deepEqual(rules('app/.env', `YOUR_TOKEN_HERE=ghp_${rand(36, ALNUM)}\n`), ['github-pat']);
});

test("documented example credentials are allowed by value, whatever the Trivy 'examples' rule says", () => {
  const line = 'String k = "AKIAIOSFODNN7EXAMPLE";\n';
  assert.deepEqual(rules('app/A.java', line), []);
  assert.deepEqual(rules('app/A.java', line, { disableAllowRules: ['examples'] }), []);
  assert.deepEqual(rules('app/A.java', line, { disableAllowRules: ['examples', 'documented-examples'] }), ['aws-access-key-id']);
  // User allow rules may judge the secret alone too.
  const id = `AKIA${rand(16, BASE32)}`;
  assert.deepEqual(rules('app/.env', `K=${id}\n`, { allowRules: [{ id: 'ours', secretRegex: `^${id}$` }] }), []);
});

test('token boundaries: `;` `)` backtick, quotes, line and file ends; no leading space needed', () => {
  const id = `AKIA${rand(16, BASE32)}`;
  for (const text of [`String k = "${id}";`, `f(${id})`, `k := \`${id}\``, `'${id}',`, `${id}`, `x=${id}\r\n`, `{"k":"${id}\\n"}`]) {
    const got = scanSecrets('app/src.txt', text);
    assert.deepEqual(
      got.map((f) => f.rule),
      ['aws-access-key-id'],
      text,
    );
    assert.ok(got[0]!.masked.includes('*'.repeat(20)) && !got[0]!.masked.includes(id.slice(4)), text);
  }
  // Glued to a word on either side, it is something else.
  assert.deepEqual(rules('app/src.txt', `X${id}\n`), []);
  assert.deepEqual(rules('app/src.txt', `${id}Z\n`), []);
  const npm = `npm_${rand(36, ALNUM)}`;
  assert.deepEqual(rules('app/.env', `NPM_TOKEN=${npm}\n`), ['npm-access-token']);
  const uuid = [8, 4, 4, 4, 12].map((n) => rand(n, '0123456789abcdef')).join('-');
  assert.deepEqual(rules('app/.env', `HEROKU_API_KEY=${uuid}\n`), ['heroku-api-key']);
});

test('dashed Slack tokens are matched and masked whole', () => {
  const d = (n: number) => rand(n, '0123456789');
  for (const tok of [
    `xoxb-${d(12)}-${d(13)}-${rand(24, ALNUM)}`,
    `xoxp-${d(11)}-${d(12)}-${d(12)}-${rand(32, '0123456789abcdef')}`,
    `xapp-1-A${rand(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}-${d(13)}-${rand(64, '0123456789abcdef')}`,
    `xoxe-1-${rand(146, ALNUM)}`,
  ]) {
    const got = scanSecrets('app/.env', `SLACK=${tok};\n`);
    assert.deepEqual(
      got.map((f) => f.rule),
      ['slack-access-token'],
      tok.slice(0, 5),
    );
    assert.equal(got[0]!.masked, `SLACK=${'*'.repeat(tok.length)};`);
  }
  // A redacted token keeps its ids but not its secret: not a token.
  assert.deepEqual(rules('app/.env', `"xoxp-${d(12)}-${d(12)}-${d(12)}-####################"\n`), []);
});
