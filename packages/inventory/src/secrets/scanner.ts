// The secret scanner (Trivy's pkg/fanal/secret/scanner.go semantics): builtin and user rules,
// a case-insensitive keyword prefilter per rule, global and per-rule allow rules (by path, or by
// regex on the whole match, or on the secret alone), an entropy gate per rule (gitleaks'), exclude
// blocks, and masking. Every match is censored in a copy of
// the file first, so the snippet reported for one secret never shows another; the raw value
// never leaves this module.
import type { SensitiveFinding } from '../analyzer.ts';
import { type AllowRuleSpec, BUILTIN_ALLOW_RULES } from './allow-rules.ts';
import { shannonEntropy } from './entropy.ts';
import { type KeywordHits, type KeywordIndex, keywordIndex } from './keywords.ts';
import { compileGoRegex, type GoRegex } from './regex.ts';
import { BUILTIN_RULES, type RuleSpec } from './rules.ts';

export type AllowRule = AllowRuleSpec;

export interface ExcludeBlock {
  readonly description?: string;
  /** Go RE2 regexes; matches inside any of their matches are dropped. */
  readonly regexes: readonly string[];
}

/** A rule from configuration, in Trivy's shape (regexes in Go RE2 syntax). */
export interface UserRule {
  readonly id: string;
  readonly category?: string;
  readonly title?: string;
  readonly severity?: string;
  readonly regex: string;
  readonly keywords?: readonly string[];
  readonly path?: string;
  readonly secretGroupName?: string;
  readonly allowRules?: readonly AllowRule[];
  readonly excludeBlock?: ExcludeBlock;
  /** Least Shannon entropy (bits per symbol) of the secret for a match to be reported (gitleaks). */
  readonly entropy?: number;
}

export interface SecretScannerConfig {
  /** Rules added to the builtin ones. */
  readonly rules?: readonly UserRule[];
  /** Allow rules added to the builtin ones. */
  readonly allowRules?: readonly AllowRule[];
  /** Rule ids (builtin or user) not to run. */
  readonly disableRules?: readonly string[];
  /** Builtin allow-rule ids to drop (`tests`, `markdown`, `usr-dirs`…). */
  readonly disableAllowRules?: readonly string[];
  /** When set, only these builtin rules run (user rules always do). */
  readonly enableBuiltinRules?: readonly string[];
  readonly excludeBlock?: ExcludeBlock;
  /** Largest file scanned by the analyzer; 10 MiB by default. */
  readonly maxFileSize?: number;
}

type Severity = SensitiveFinding['severity'];

/** One match, with where it is: what the analyzer turns into a SensitiveFinding. */
export interface SecretMatch {
  readonly rule: string;
  readonly category: string;
  readonly title: string;
  readonly severity: Severity;
  /** 1-based lines of the masked span. */
  readonly startLine: number;
  readonly endLine: number;
  /** Byte offset of the secret in the file. */
  readonly offset: number;
  /** The line around the secret, the secret (and every other match in the file) masked with `*`. */
  readonly masked: string;
}

interface CompiledAllow {
  readonly id?: string;
  readonly regex?: RegExp;
  readonly path?: RegExp;
  readonly secret?: RegExp;
}

interface CompiledRule {
  readonly id: string;
  readonly category: string;
  readonly title: string;
  readonly severity: Severity;
  readonly regex: GoRegex;
  readonly secretGroups?: readonly number[];
  readonly keywords: readonly string[];
  readonly requireAll: readonly string[];
  /** The keywords and requireAll words as indices in the scanner's KeywordIndex. */
  readonly keywordIds: readonly number[];
  readonly requireAllIds: readonly number[];
  readonly path?: RegExp;
  readonly allow: readonly CompiledAllow[];
  readonly exclude: readonly RegExp[];
  readonly entropy: number;
}

export interface CompiledSecretScanner {
  readonly rules: readonly CompiledRule[];
  readonly allow: readonly CompiledAllow[];
  readonly exclude: readonly RegExp[];
  /** Every rule's keywords, searched for in one pass per file. */
  readonly keywords: KeywordIndex;
  readonly maxFileSize?: number;
  /** Whether a global allow rule exempts this path (nothing in it is reported). */
  allowsPath(path: string): boolean;
}

const SEVERITIES = new Set(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN']);
/** Trivy upper-cases severities; anything else is unknown. */
function severityOf(s: string | undefined): Severity {
  const u = (s ?? '').trim().toUpperCase();
  return (SEVERITIES.has(u) ? u.toLowerCase() : 'unknown') as Severity;
}

const latin1 = (s: string): string => (/[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);
const plain = (src: string): RegExp => compileGoRegex(src).re;

function compileAllow(a: AllowRule, where: string): CompiledAllow {
  try {
    return {
      ...(a.id ? { id: a.id } : {}),
      ...(a.regex ? { regex: plain(a.regex) } : {}),
      ...(a.path ? { path: plain(a.path) } : {}),
      ...(a.secretRegex ? { secret: plain(a.secretRegex) } : {}),
    };
  } catch (err) {
    throw new Error(`secret allow rule ${a.id ?? a.description ?? '?'} (${where}): ${(err as Error).message}`);
  }
}

function compileRule(r: RuleSpec | UserRule): Omit<CompiledRule, 'keywordIds' | 'requireAllIds'> {
  try {
    const regex = compileGoRegex(r.regex, 'g' + (r.secretGroupName ? 'd' : ''));
    const secretGroups = r.secretGroupName ? regex.groups.get(r.secretGroupName) : undefined;
    const requireAll = 'requireAll' in r ? (r.requireAll ?? []) : [];
    const exclude = 'excludeBlock' in r && r.excludeBlock ? r.excludeBlock.regexes.map((x) => compileGoRegex(x, 'g').re) : [];
    return {
      id: r.id,
      category: r.category ?? '',
      title: r.title ?? r.id,
      severity: severityOf(r.severity),
      regex,
      ...(secretGroups?.length ? { secretGroups } : {}),
      keywords: (r.keywords ?? []).map((k) => latin1(k).toLowerCase()),
      requireAll: requireAll.map((k) => latin1(k).toLowerCase()),
      ...(r.path ? { path: plain(r.path) } : {}),
      allow: (r.allowRules ?? []).map((a) => compileAllow(a, r.id)),
      exclude,
      entropy: r.entropy ?? 0,
    };
  } catch (err) {
    throw new Error(`secret rule ${r.id}: ${(err as Error).message}`);
  }
}

// Paths are layer-relative (`etc/app.conf`); configs written for Trivy often anchor at `/`.
const pathMatches = (re: RegExp, path: string) => re.test(path) || re.test(`/${path}`);

/**
 * Whether any of `res` matches, as one RegExp: the global allow paths are tried on every file of
 * a layer, and one alternation tests a path once instead of once per rule. Each part keeps its
 * flags as a modifier group; parts a single pattern cannot hold (back-references, other flags)
 * are tested on their own.
 */
function anyOf(res: readonly RegExp[]): (s: string) => boolean {
  const joinable = res.filter((re) => /^[im]*$/.test(re.flags) && !/\\[1-9k]/.test(re.source));
  const rest = res.filter((re) => !joinable.includes(re));
  const one = joinable.length ? new RegExp(joinable.map((re) => `(?${re.flags}:${re.source})`).join('|')) : undefined;
  return (s) => (one !== undefined && one.test(s)) || rest.some((re) => re.test(s));
}

const compiledCache = new WeakMap<SecretScannerConfig, CompiledSecretScanner>();
let defaultCompiled: CompiledSecretScanner | undefined;

/** Compiles rules and allow rules once; cached per config object. */
export function compileSecretConfig(config?: SecretScannerConfig): CompiledSecretScanner {
  if (!config) return (defaultCompiled ??= build({}));
  let c = compiledCache.get(config);
  if (!c) compiledCache.set(config, (c = build(config)));
  return c;
}

function build(config: SecretScannerConfig): CompiledSecretScanner {
  const enabled = config.enableBuiltinRules?.length
    ? BUILTIN_RULES.filter((r) => config.enableBuiltinRules!.includes(r.id))
    : BUILTIN_RULES;
  const disabled = new Set(config.disableRules ?? []);
  const compiled = [...enabled, ...(config.rules ?? [])].filter((r) => !disabled.has(r.id)).map(compileRule);
  const keywords = keywordIndex(compiled.flatMap((r) => [...r.keywords, ...r.requireAll]));
  const rules = compiled.map((r) => ({
    ...r,
    keywordIds: r.keywords.map((k) => keywords.indexOf(k)),
    requireAllIds: r.requireAll.map((k) => keywords.indexOf(k)),
  }));
  const disabledAllow = new Set(config.disableAllowRules ?? []);
  const allow = [...BUILTIN_ALLOW_RULES.filter((a) => !a.id || !disabledAllow.has(a.id)), ...(config.allowRules ?? [])].map((a) =>
    compileAllow(a, 'global'),
  );
  const exclude = (config.excludeBlock?.regexes ?? []).map((x) => compileGoRegex(x, 'g').re);
  const pathAllowed = anyOf(allow.flatMap((a) => (a.path ? [a.path] : [])));
  return {
    rules,
    allow,
    exclude,
    keywords,
    ...(config.maxFileSize !== undefined ? { maxFileSize: config.maxFileSize } : {}),
    allowsPath: (path) => pathAllowed(path) || pathAllowed(`/${path}`),
  };
}

interface Loc {
  readonly rule: CompiledRule;
  readonly start: number;
  readonly end: number;
}

const allowedMatch = (allow: readonly CompiledAllow[], match: string) => allow.some((a) => a.regex && a.regex.test(match));
const allowedSecret = (allow: readonly CompiledAllow[], secret: string) => allow.some((a) => a.secret && a.secret.test(secret));

function blocks(res: readonly RegExp[], text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const re of res) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) if (m[0].length) out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** Finds secrets in one file's content; the result carries masked snippets only. */
export function scanSecrets(path: string, content: Buffer | string, config?: SecretScannerConfig | CompiledSecretScanner): SecretMatch[] {
  const scanner = config && 'allowsPath' in config ? config : compileSecretConfig(config);
  if (scanner.allowsPath(path)) return [];
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  // Every rule's keywords in one pass over the bytes, when the first rule that has any asks.
  let hits: KeywordHits | undefined;
  // One char per byte: offsets are byte offsets and invalid UTF-8 cannot break a match. Decoded
  // only once a rule's prefilter lets its regex run.
  let text: string | undefined;
  let globalBlocks: [number, number][] | undefined;
  const locs: Loc[] = [];
  for (const rule of scanner.rules) {
    if (rule.keywordIds.length || rule.requireAllIds.length) {
      const found = (hits ??= scanner.keywords.search(bytes));
      if (rule.keywordIds.length && !rule.keywordIds.some((i) => found.has(i))) continue;
      if (!rule.requireAllIds.every((i) => found.has(i))) continue;
    }
    if (rule.path && !pathMatches(rule.path, path)) continue;
    if (rule.allow.some((a) => a.path && pathMatches(a.path, path))) continue;
    text ??= bytes.toString('latin1');
    const re = rule.regex.re;
    re.lastIndex = 0;
    let ruleBlocks: [number, number][] | undefined;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (allowedMatch(scanner.allow, m[0]) || allowedMatch(rule.allow, m[0])) continue;
      const spans: [number, number][] = [];
      if (rule.secretGroups) {
        for (const g of rule.secretGroups) {
          const span = m.indices?.[g];
          if (span) spans.push([span[0], span[1]]);
        }
      } else spans.push([m.index, m.index + m[0].length]);
      for (const [start, end] of spans) {
        globalBlocks ??= blocks(scanner.exclude, text);
        ruleBlocks ??= blocks(rule.exclude, text);
        const inBlock = (b: [number, number][]) => b.some(([s, e]) => s <= start && end <= e);
        if (inBlock(globalBlocks) || inBlock(ruleBlocks)) continue;
        // A placeholder has the token's grammar but not its randomness, or is a known value.
        const secret = text.slice(start, end);
        if (rule.entropy && shannonEntropy(secret) < rule.entropy) continue;
        if (allowedSecret(scanner.allow, secret) || allowedSecret(rule.allow, secret)) continue;
        locs.push({ rule, start, end });
      }
    }
  }
  if (!locs.length) return [];
  return report(text!, locs);
}

/** Censors every match, then cuts each match's line (Trivy: ±30/20 bytes around long lines). */
function report(text: string, locs: readonly Loc[]): SecretMatch[] {
  const spans = locs.map((l) => [l.start, l.end] as [number, number]).sort((a, b) => a[0] - b[0]);
  let censored = '';
  let pos = 0;
  for (const [s, e] of spans) {
    const from = Math.max(s, pos);
    if (e <= from) continue;
    censored += text.slice(pos, from) + text.slice(from, e).replace(/[^\n]/g, '*');
    pos = e;
  }
  censored += text.slice(pos);
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo; // newlines before offset
  };
  return locs.map(({ rule, start, end }) => {
    const startLine = lineOf(start);
    let lineStart = startLine === 0 ? 0 : newlines[startLine - 1]! + 1;
    let lineEnd = newlines[startLine] ?? text.length;
    if (lineEnd - lineStart > 100) {
      lineStart = start - lineStart - 30 < 0 ? lineStart : start - 30;
      lineEnd = end + 20 > lineEnd ? lineEnd : end + 20;
    }
    const masked = Buffer.from(censored.slice(lineStart, lineEnd), 'latin1').toString('utf8').replace(/\r$/, '');
    return {
      rule: rule.id,
      category: rule.category,
      title: rule.title,
      severity: rule.severity,
      startLine: startLine + 1,
      endLine: lineOf(end) + 1,
      offset: start,
      masked,
    };
  });
}

/** The report's shape: rule, category, severity, path, line and the masked snippet. */
export function scanContent(
  path: string,
  content: Buffer | string,
  config?: SecretScannerConfig | CompiledSecretScanner,
  layerDigest?: string,
): SensitiveFinding[] {
  return scanSecrets(path, content, config).map((m) => ({
    rule: m.rule,
    ...(m.category ? { category: m.category } : {}),
    severity: m.severity,
    path,
    ...(layerDigest ? { layerDigest } : {}),
    line: m.startLine,
    masked: m.masked,
  }));
}
