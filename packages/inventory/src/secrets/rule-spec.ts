// How a builtin secret rule is declared, and the fragments Trivy's rules are written with
// (pkg/fanal/secret/builtin-rules.go, Apache-2.0): regexes are kept in their Go syntax and
// translated by ./regex.ts. The rule tables are in rules-*.ts; ./rules.ts puts them in order.

/** A rule as declared: regexes are Go RE2 strings. */
export interface RuleSpec {
  readonly id: string;
  readonly category: string;
  readonly title: string;
  /** Trivy's severity words (CRITICAL, HIGH…); missing or unknown → unknown. */
  readonly severity?: string;
  readonly regex: string;
  /** Prefilter: the regex runs only if one of these occurs in the file (case-insensitive). */
  readonly keywords?: readonly string[];
  /** Only files whose path matches. */
  readonly path?: string;
  /** Group(s) of the match that are the secret (masked); the whole match when absent. */
  readonly secretGroupName?: string;
  readonly allowRules?: readonly { readonly id?: string; readonly description?: string; readonly regex?: string; readonly path?: string }[];
  /** Prefilter: the regex runs only if all of these occur in the file (case-insensitive). */
  readonly requireAll?: readonly string[];
  /**
   * Least Shannon entropy (bits per symbol, ./entropy.ts) of the secret part for a match to be
   * reported, as gitleaks does: below it the value is a placeholder (`ghp_xxxx…`). No gate when absent.
   */
  readonly entropy?: number;
}

// Trivy's reusable fragments.
export const quote = `["']?`;
export const connect = String.raw`\s*(:|=>|=)?\s*`;
export const endSecret = String.raw`[.,]?(\s+|$)`;
const startWord = '([^0-9a-zA-Z_]|^)';
const endWord = '([^0-9a-zA-Z_]|$)';
export const aws = 'aws_?';
export const withoutWordPrefix = (s: string) => `${startWord}(${s})`;
export const withBoundaries = (s: string) => `${startWord}(${s})${endWord}`;
/**
 * A token with its real boundaries: not glued to a word character on either side, and followed
 * by anything else (quote, backtick, `;`, `)`, `,`, `&`, whitespace) or the end of the text. The
 * copied Trivy forms wanted a quote or whitespace after the secret and missed
 * `String k = "AKIA…";` or `f(AKIA…)`.
 */
export const token = (s: string, tail = '0-9a-zA-Z_') => `${startWord}(?P<secret>${s})([^${tail}]|$)`;
/** Trivy's generic `<vendor>… = "<secret>"` form. */
export const keyed = (vendor: string, secret: string) =>
  String.raw`(?i)(?P<key>${vendor}[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](?P<secret>${secret})['\"]`;

type R = RuleSpec;
/** One rule, positional as in Trivy's table (so the tables read as one line of facts each). */
export const r = (
  id: string,
  category: string,
  title: string,
  severity: string | undefined,
  regex: string,
  keywords: string[],
  secretGroupName?: string,
  extra: Partial<R> = {},
): R => ({
  id,
  category,
  title,
  ...(severity ? { severity } : {}),
  regex,
  keywords,
  ...(secretGroupName ? { secretGroupName } : {}),
  ...extra,
});
/** The group most rules name as the secret. */
export const S = 'secret';
