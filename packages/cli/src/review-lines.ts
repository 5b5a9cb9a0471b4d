// The line `assay review` prints per image: short enough to read in a terminal (the reference as
// written, the failing control, its evidence), with the digest, every reason and its remediation
// behind --verbose. The webhook's own refusal line names the image twice (as written, then by
// digest) because kubectl users see nothing else; here the header line already gives the context.
import type { ImageOutcome } from '@assay/review-engine';
import { Compliance } from '@assay/proto';
import type { Paint } from './color.ts';

/** Longest image line printed without --verbose (longer evidence is cut with "…"). */
export const MAX_LINE = 160;

const COMPLIANCE: Record<number, string> = {
  [Compliance.UNSPECIFIED]: 'unspecified',
  [Compliance.PENDING]: 'pending',
  [Compliance.COMPLIANT]: 'compliant',
  [Compliance.NON_COMPLIANT]: 'non-compliant',
  [Compliance.ERROR]: 'scan error',
};

const LIST_WORD: Record<string, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
  volumes: 'volume',
};

function cut(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** What is wrong with the image, in the fewest words: the first failing control and its evidence. */
function evidenceOf(img: ImageOutcome): string {
  const failing = (img.verdict?.reasons ?? []).filter((r) => !r.auditOnly);
  if (img.line !== undefined && img.verdict?.compliance === Compliance.NON_COMPLIANT && failing.length > 0) {
    const first = failing[0]!;
    return `${first.policy}/${first.control}: ${first.message}${failing.length > 1 ? ` (+${failing.length - 1} more)` : ''}`;
  }
  const text = img.line !== undefined ? img.line.slice(img.field.where.length + 2) : (img.decision?.message ?? '');
  if (text === 'allowed') return '';
  // The decision's text names the image as written and by digest: the line already says which.
  return text
    .replace(`image ${img.named} `, '')
    .replaceAll(img.named, 'it')
    .replace(/ \(runtime policy [^)]*\)$/, '')
    .replace(/^is /, '');
}

/** One image of a reviewed object, as one short line (two spaces in). */
export function imageLine(img: ImageOutcome, paint: Paint): string {
  const verdict = img.verdict ? (COMPLIANCE[img.verdict.compliance] ?? 'unknown') : 'no verdict';
  const result = !img.allowed ? paint.bad('denied') : img.line !== undefined ? paint.warn('admitted') : paint.good('ok');
  const where = `${LIST_WORD[img.field.list] ?? img.field.list} ${img.field.name}`;
  const head = `  ${where}: ${img.field.reference} [${verdict}] ${result}`;
  const evidence = evidenceOf(img);
  if (!evidence) return head;
  // Escapes do not count towards the width a person sees.
  // eslint-disable-next-line no-control-regex
  const visible = head.replace(/\u001b\[[0-9;]*m/g, '').length;
  return `${head}: ${cut(evidence, Math.max(20, MAX_LINE - visible - 2))}`;
}

/** The details --verbose adds under an image line: the digest, the full decision, every reason with its remediation. */
export function imageDetails(img: ImageOutcome): string[] {
  const out = [`      image: ${img.named}`];
  const decision = img.line !== undefined ? img.line.slice(img.field.where.length + 2) : img.decision?.message;
  if (decision && decision !== 'allowed') out.push(`      decision: ${decision}`);
  out.push(`      field: ${img.field.where}`);
  for (const r of img.verdict?.reasons ?? []) {
    out.push(`      ${r.auditOnly ? 'audit' : 'reason'}: ${r.policy}/${r.control} [${r.severity}]: ${r.message}`);
    if (r.remediation) out.push(`        fix: ${r.remediation}`);
  }
  return out;
}
