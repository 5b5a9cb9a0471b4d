// The builtin secret rules measured on a corpus (../fixtures/secrets-corpus, see its README):
// recall over true positives written in the shapes real files use, the share of negatives
// (placeholders, documented examples, look-alikes) that fire, and masking (a finding never shows
// the secret). The figures are printed; floors are asserted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { scanSecrets } from '../../packages/inventory/src/secrets/index.ts';

const DIR = new URL('../fixtures/secrets-corpus/', import.meta.url);
const load = (file: string): unknown => parseYaml(readFileSync(new URL(file, DIR), 'utf8'));

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const B64 = UPPER + LOWER + DIGITS + '+/';
const CLASSES: Record<string, string> = {
  alnum: UPPER + LOWER + DIGITS,
  ALNUM: UPPER + DIGITS,
  lowalnum: LOWER + DIGITS,
  base32: UPPER + '234567',
  digits: DIGITS,
  hex: DIGITS + 'abcdef',
  b64: B64,
  b64url: UPPER + LOWER + DIGITS + '_-',
};

/**
 * Expands `<<class:n>>` and `<<jwt>>` with bytes drawn from sha256(label, block): the same values
 * on every run, so the figures are reproducible, and no token-shaped literal in the repository.
 */
export function expand(template: string, label: string): string {
  let block = 0;
  let pool = Buffer.alloc(0);
  let pos = 0;
  const byte = (): number => {
    if (pos >= pool.length) {
      pool = createHash('sha256').update(`${label}\0${block++}`).digest();
      pos = 0;
    }
    return pool[pos++]!;
  };
  const pick = (alphabet: string, n: number): string => {
    let s = '';
    // Rejection sampling keeps every symbol equally likely.
    while (s.length < n) {
      const b = byte();
      if (b < 256 - (256 % alphabet.length)) s += alphabet[b % alphabet.length];
    }
    return s;
  };
  return template.replace(/<<(\w+)(?::(\d+))?>>/g, (_, cls: string, n?: string) => {
    if (cls === 'jwt') {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'svc-deploy', iat: 1700000000, exp: 1900000000 })}.${pick(CLASSES.b64url!, 43)}`;
    }
    if (cls === 'pem') return pick(B64, Number(n)).replace(/.{64}(?=.)/g, '$&\n');
    const alphabet = CLASSES[cls];
    if (!alphabet || !n) throw new Error(`corpus: unknown template <<${cls}:${n}>>`);
    return pick(alphabet, Number(n));
  });
}

interface Positive {
  readonly name: string;
  readonly rules: readonly string[];
  readonly path: string;
  readonly text: string;
  readonly secret: string;
}
interface Negative {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

const DEFAULT_PATH = 'srv/app/settings.conf';
const list = (r: string | string[]) => (Array.isArray(r) ? r : [r]);

export function positives(): Positive[] {
  const y = load('positives.yaml') as {
    contexts: Record<string, string>;
    tokens: { rule: string | string[]; i: string; value: string }[];
    files: { rule: string | string[]; path: string; value: string; text: string }[];
  };
  const out: Positive[] = [];
  y.tokens.forEach((t, n) => {
    const secret = expand(t.value, `token ${n} ${t.value}`);
    for (const [ctx, shape] of Object.entries(y.contexts)) {
      const text = shape.replaceAll('{i}', t.i).replaceAll('{I}', t.i.toUpperCase()).replaceAll('{s}', secret) + '\n';
      out.push({ name: `${list(t.rule).join('|')} ${t.value} (${ctx})`, rules: list(t.rule), path: DEFAULT_PATH, text, secret });
    }
  });
  y.files.forEach((f, n) => {
    const secret = expand(f.value, `file ${n} ${f.value}`);
    const text = expand(f.text.replaceAll('{s}', secret), `file ${n} text`);
    out.push({ name: `${list(f.rule).join('|')} in ${f.path}`, rules: list(f.rule), path: f.path, text, secret });
  });
  return out;
}

export function negatives(): Negative[] {
  const y = load('negatives.yaml') as { negatives: (string | { path: string; text: string })[] };
  return y.negatives.map((e) =>
    typeof e === 'string'
      ? { name: e, path: DEFAULT_PATH, text: e + '\n' }
      : { name: `${e.path}: ${e.text.split('\n').find((l) => l.trim())}`, ...e },
  );
}

/** Runs the corpus through the scanner: what the test asserts on (also run against older rules). */
export function measure() {
  const pos = positives();
  const neg = negatives();
  const missed: string[] = [];
  const leaked: string[] = [];
  for (const p of pos) {
    const got = scanSecrets(p.path, p.text);
    if (!got.some((f) => p.rules.includes(f.rule))) missed.push(p.name);
    // Both ends of the secret: a rule that stops early (at a dash, at 32 characters) masks only part.
    const probes = [p.secret.slice(0, 8), p.secret.slice(-8)];
    if (got.some((f) => probes.some((x) => f.masked.includes(x)))) leaked.push(p.name);
  }
  const fired: string[] = [];
  for (const n of neg) {
    const got = scanSecrets(n.path, n.text);
    if (got.length) fired.push(`${n.name} → ${[...new Set(got.map((f) => f.rule))].join(',')}`);
  }
  return {
    positives: pos.length,
    negatives: neg.length,
    missed,
    leaked,
    fired,
    recall: (pos.length - missed.length) / pos.length,
    falsePositiveRate: fired.length / neg.length,
  };
}

test('secret corpus: recall, false positives and masking', (t) => {
  const m = measure();
  const summary = `secret corpus: recall ${(m.recall * 100).toFixed(1)}% (${m.positives - m.missed.length}/${m.positives}), false positives ${(m.falsePositiveRate * 100).toFixed(1)}% (${m.fired.length}/${m.negatives}), partly unmasked ${m.leaked.length}`;
  t.diagnostic(summary);
  console.log(summary);
  for (const x of m.missed) t.diagnostic(`missed: ${x}`);
  for (const x of m.fired) t.diagnostic(`fired: ${x}`);
  for (const x of m.leaked) t.diagnostic(`partly unmasked: ${x}`);
  // The corpus is big enough for the floors to mean something.
  assert.ok(m.positives >= 500 && m.negatives >= 100, `corpus too small: ${m.positives}/${m.negatives}`);
  assert.ok(m.recall >= 0.95, summary);
  assert.ok(m.falsePositiveRate <= 0.02, summary);
  assert.deepEqual(m.leaked, []);
});

test('secret corpus: the generator gives every value its grammar, the same on every run', () => {
  assert.equal(expand('AKIA<<base32:16>>', 'x'), expand('AKIA<<base32:16>>', 'x'));
  assert.notEqual(expand('AKIA<<base32:16>>', 'x'), expand('AKIA<<base32:16>>', 'y'));
  assert.match(expand('AKIA<<base32:16>>', 'x'), /^AKIA[A-Z2-7]{16}$/);
  assert.match(expand('<<hex:32>>', 'x'), /^[0-9a-f]{32}$/);
  assert.match(expand('<<pem:130>>', 'x'), /^[A-Za-z0-9+/]{64}\n[A-Za-z0-9+/]{64}\n[A-Za-z0-9+/]{2}$/);
  assert.match(expand('<<jwt>>', 'x'), /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}$/);
  assert.throws(() => expand('<<nope:3>>', 'x'), /unknown template/);
});
