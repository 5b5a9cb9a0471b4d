// Severity of an advisory: CVSS base score where a vector is given (v3.x preferred, the scale
// policies are written against; v4.0 next; v2 last), else the textual ratings databases carry
// (GHSA `database_specific.severity`, Debian `urgency`, Ubuntu priorities), else unknown.
// Scores come from ae-cvss-calculator (FIRST's v2/v3.0/v3.1/v4.0 formulas).
import cvss from 'ae-cvss-calculator';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityResult {
  severity: Severity;
  cvss?: number;
  cvssVector?: string;
}

// Every base metric must be present: the calculator scores missing ones as "X" (0.0 for v4).
const V3_BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];
const V4_BASE = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];
const V2_BASE = ['AV', 'AC', 'Au', 'C', 'I', 'A'];

function metrics(vector: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of vector.split('/')) {
    const i = part.indexOf(':');
    if (i > 0) out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

function hasAll(vector: string, names: readonly string[]): boolean {
  const m = metrics(vector);
  return names.every((n) => m.has(n) && m.get(n) !== 'X');
}

/** Base score of a CVSS vector, or undefined when it is not a complete, valid vector. */
export function cvssBaseScore(vector: string): number | undefined {
  const v = vector.trim();
  try {
    let score: number | undefined;
    if (v.startsWith('CVSS:3.1/')) score = hasAll(v, V3_BASE) ? new cvss.Cvss3P1(v).calculateScores().base : undefined;
    else if (v.startsWith('CVSS:3.0/')) score = hasAll(v, V3_BASE) ? new cvss.Cvss3P0(v).calculateScores().base : undefined;
    else if (v.startsWith('CVSS:4.0/')) score = hasAll(v, V4_BASE) ? new cvss.Cvss4P0(v).calculateScores().base : undefined;
    else if (hasAll(v, V2_BASE)) score = new cvss.Cvss2(v.replace(/^\(|\)$/g, '')).calculateScores().base;
    return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 10 ? score : undefined;
  } catch {
    return undefined;
  }
}

/** FIRST's qualitative rating (v3/v4 bands); "none" is reported as negligible. */
export function ratingOf(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score >= 0.1) return 'low';
  return 'negligible';
}

/** Textual ratings from the databases OSV aggregates. */
export function severityFromText(text: unknown): Severity | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim().toLowerCase().replace(/\*+$/, '');
  switch (t) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'moderate':
    case 'medium':
      return 'medium';
    case 'low':
      return 'low';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'negligible';
    default:
      return undefined;
  }
}

interface OsvSeverity {
  type?: unknown;
  score?: unknown;
}

const PREFERENCE = ['CVSS_V3', 'CVSS_V4', 'CVSS_V2'];

/** Best CVSS of an OSV `severity[]` array; textual entries (type `Ubuntu`) as a fallback. */
export function severityFromOsv(list: unknown): SeverityResult | undefined {
  if (!Array.isArray(list)) return undefined;
  const entries = list.filter((e): e is OsvSeverity => typeof e === 'object' && e !== null);
  for (const type of PREFERENCE) {
    for (const e of entries) {
      if (e.type !== type || typeof e.score !== 'string') continue;
      const score = cvssBaseScore(e.score);
      if (score !== undefined) return { severity: ratingOf(score), cvss: score, cvssVector: e.score.trim() };
    }
  }
  for (const e of entries) {
    const s = severityFromText(e.score);
    if (s) return { severity: s };
  }
  return undefined;
}

/** Orders severities, most severe first (for sorting and summaries). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
