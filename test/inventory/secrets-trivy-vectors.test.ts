// Trivy's secret-scanner golden cases (../shared/vectors/05-secrets/trivy, converted from
// pkg/fanal/secret/scanner_test.go): every case whose input file is present must give the same
// findings (rule, severity, lines, byte offset, masked line); Trivy's YAML configs become the
// equivalent SecretScannerConfig (user rules, allow rules, disabled rules, exclude blocks).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type SecretScannerConfig, scanSecrets, type UserRule } from '../../packages/inventory/src/secrets/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(REPO_ROOT, '..', 'shared', 'vectors', '05-secrets', 'trivy');
const GOLDEN = join(DIR, 'expected.TestSecretScanner.json');

interface GoldenFinding {
  RuleID?: string;
  Severity?: string;
  StartLine?: number;
  EndLine?: number;
  Match?: string;
  Offset?: number;
  __call__?: string;
  args?: (string | number)[];
}
interface GoldenCase {
  name: string;
  configPath: string;
  inputFilePath: string;
  want: { FilePath?: string; Findings?: GoldenFinding[] | null } | [];
}

type Yaml = Record<string, unknown>;
const allowRules = (xs: unknown) =>
  ((xs as Yaml[] | undefined) ?? []).map((a) => ({
    id: a.id as string | undefined,
    description: a.description as string | undefined,
    regex: a.regex as string | undefined,
    path: a.path as string | undefined,
  }));

/** Trivy's secret config YAML as our config: the user rules are built field by field. */
export function fromTrivyConfig(y: Yaml): SecretScannerConfig {
  const rules: UserRule[] = ((y.rules as Yaml[] | undefined) ?? []).map((r) => ({
    id: String(r.id),
    ...(r.category ? { category: String(r.category) } : {}),
    ...(r.title ? { title: String(r.title) } : {}),
    ...(r.severity ? { severity: String(r.severity) } : {}),
    regex: String(r.regex),
    ...(r.keywords ? { keywords: (r.keywords as unknown[]).map(String) } : {}),
    ...(r.path ? { path: String(r.path) } : {}),
    ...(r['secret-group-name'] ? { secretGroupName: String(r['secret-group-name']) } : {}),
    ...(r['allow-rules'] ? { allowRules: allowRules(r['allow-rules']) } : {}),
    ...(r['exclude-block'] ? { excludeBlock: { regexes: ((r['exclude-block'] as Yaml).regexes as string[]) ?? [] } } : {}),
  }));
  return {
    rules,
    ...(y['allow-rules'] ? { allowRules: allowRules(y['allow-rules']) } : {}),
    ...(y['disable-rules'] ? { disableRules: y['disable-rules'] as string[] } : {}),
    ...(y['disable-allow-rules'] ? { disableAllowRules: y['disable-allow-rules'] as string[] } : {}),
    ...(y['enable-builtin-rules'] ? { enableBuiltinRules: y['enable-builtin-rules'] as string[] } : {}),
    ...(y['exclude-block'] ? { excludeBlock: { regexes: ((y['exclude-block'] as Yaml).regexes as string[]) ?? [] } } : {}),
  };
}

const key = (f: { rule: string; offset?: number | undefined }) => `${String(f.offset).padStart(8, '0')} ${f.rule}`;

test('Trivy secret-scanner golden cases', async (t) => {
  if (!existsSync(GOLDEN)) return t.skip(`vectors not found at ${DIR}`);
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { cases: GoldenCase[] };
  let passed = 0;
  let missing = 0;
  const failed: string[] = [];
  for (const c of golden.cases) {
    const input = join(DIR, c.inputFilePath);
    if (!existsSync(input)) {
      missing++;
      t.diagnostic(`skipped (input not in vectors): ${c.name}`);
      continue;
    }
    const cfgFile = join(DIR, c.configPath);
    const config = existsSync(cfgFile) ? fromTrivyConfig((parseYaml(readFileSync(cfgFile, 'utf8')) as Yaml | null) ?? {}) : {};
    const content = readFileSync(input);
    const raw = content.toString('latin1');
    const got = scanSecrets(c.inputFilePath, content, config);
    const wantFindings = Array.isArray(c.want) ? [] : (c.want.Findings ?? []);
    const want = wantFindings.map((f) =>
      f.__call__ === 'openAIFinding'
        ? // openAIFinding(ruleID, title, severity, n): one secret of n bytes, alone on line 1.
          {
            rule: String(f.args?.[0]),
            severity: String(f.args?.[2]).toLowerCase(),
            offset: 0,
            startLine: 1,
            endLine: 1,
            masked: '*'.repeat(Number(f.args?.[3])),
          }
        : {
            rule: f.RuleID!,
            severity: (f.Severity ?? '').toLowerCase(),
            offset: f.Offset,
            startLine: f.StartLine,
            endLine: f.EndLine,
            masked: f.Match,
          },
    );
    const ours = got.map((g) => ({
      rule: g.rule,
      severity: g.severity,
      offset: g.offset,
      startLine: g.startLine,
      endLine: g.endLine,
      masked: g.masked,
    }));
    try {
      assert.deepEqual(
        ours.sort((a, b) => key(a).localeCompare(key(b))),
        want.sort((a, b) => key(a).localeCompare(key(b))),
        c.name,
      );
      // The raw secret never appears in what we report.
      for (const g of got) assert.ok(!g.masked.includes(raw.slice(g.offset, g.offset + 8)), `${c.name}: raw value in masked snippet`);
      passed++;
    } catch (err) {
      failed.push(c.name);
      t.diagnostic(`FAIL ${c.name}: ${(err as Error).message.slice(0, 1500)}`);
    }
  }
  t.diagnostic(
    `trivy secret vectors: ${passed} passed, ${failed.length} failed, ${missing} skipped (input missing) of ${golden.cases.length}`,
  );
  assert.deepEqual(failed, []);
  assert.ok(passed >= golden.cases.length - missing);
});
