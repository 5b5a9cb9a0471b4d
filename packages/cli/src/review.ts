// `assay review`: the decision the webhook would give for an AdmissionReview or a manifest,
// decided by the webhook's own review engine (`reviewAdmission`) against a snapshot file or the
// buckets of a running system.
import { parseArgs } from 'node:util';
import {
  ImageFieldError,
  reviewAdmission,
  ReviewError,
  type AdmissionReviewResponse,
  type DecisionSnapshot,
  type RequestOutcome,
} from '@assay/review-engine';
import { colorFor, painter, type Paint } from './color.ts';
import { namespaceLabelsIn, reviewItems, type Operation, type ReviewItem } from './input.ts';
import { CliError, EXIT_ALLOWED, EXIT_DENIED, readInput, type CliIo } from './io.ts';
import { CONTEXT_HELP, CONTEXT_OPTION } from './context.ts';
import { natsFromFlags, readBuckets, type NatsOptions } from './nats.ts';
import { imageDetails, imageLine } from './review-lines.ts';
import { decisionSnapshot, parseSnapshotFile } from './snapshot-file.ts';

export const REVIEW_USAGE = `Usage: assay review <file|-> [--snapshot <file> | --nats <url> [--user <u> --password-file <f>]] [options]

Prints the decision the admission webhook would give. <file> is an AdmissionReview (JSON or
YAML) or a Kubernetes manifest (YAML or JSON, several documents allowed); '-' reads stdin.
Each workload object of a manifest is reviewed as the CREATE the API server would send.

Decision source (one of):
  --snapshot <file>        a verdict snapshot written by \`assay snapshot\`
  --nats <url>             a running system: reads the verdicts, tags, runtime-policies and
                           policy-exceptions buckets (comma-separated URLs for a cluster)
  --user <u>               NATS user
  --password-file <f>      file holding the NATS password
  --timeout <ms>           bound on connecting and reading the buckets (default 10000)
  neither                  the running system of the context (its NATS URL and user)
${CONTEXT_HELP}

Options:
  --namespace <ns>         namespace of manifest objects without one (default: default, as
                           kubectl would); the output says when an object's namespace is not its own
  --operation CREATE|UPDATE  operation of manifest objects (default CREATE)
  --cluster <name>         cluster name, for runtime policies scoped on clusters
  --namespace-label <k=v>  a label of the reviewed namespaces, for runtime policies scoped on
                           namespace labels (repeatable); Namespace objects in <file> give
                           their own labels. Without either, namespace labels are unknown (as
                           for a webhook without ADMISSION_NAMESPACE_LABELS)
  --output text|json       text (default), or the AdmissionReview responses as JSON
  -v, --verbose            under each image: its digest, the full decision, every reason and
                           its remediation; warnings that repeat an image line
  -h, --help               this help

Exit status: 0 all allowed (warnings included), 1 something denied, 2 usage, input or
decision-source error (one line on stderr).
`;

export interface ReviewResult {
  item: Extract<ReviewItem, { type: 'review' }>;
  response: AdmissionReviewResponse;
  outcome: RequestOutcome;
}

export interface ReviewOptions {
  now?: Date;
}

/** Decides every review of a file (already read) against a snapshot; input errors are CliErrors. */
export function reviewText(
  text: string,
  name: string,
  snapshot: DecisionSnapshot,
  opts: { namespace?: string | undefined; operation?: Operation | undefined; now?: Date } = {},
) {
  const items = reviewItems(text, name, { namespace: opts.namespace, operation: opts.operation });
  const results: ReviewResult[] = [];
  for (const item of items) {
    if (item.type !== 'review') continue;
    try {
      const { response, outcome } = reviewAdmission(item.body, snapshot, opts.now ? { now: opts.now } : {});
      results.push({ item, response, outcome });
    } catch (err) {
      if (err instanceof ReviewError || err instanceof ImageFieldError) throw new CliError(`${name}: ${item.label}: ${err.message}`);
      throw err;
    }
  }
  return { items, results };
}

/** Text output: a status line per object, one short line per image (details with `verbose`), then the warnings. */
export function formatText(
  items: readonly ReviewItem[],
  results: readonly ReviewResult[],
  opts: { verbose?: boolean; paint?: Paint } = {},
): string {
  const paint = opts.paint ?? painter(false);
  const byItem = new Map(results.map((r) => [r.item, r]));
  const lines: string[] = [];
  for (const item of items) {
    if (item.type === 'skipped') {
      lines.push(`${paint.dim('SKIPPED')} ${item.label}: ${item.reason}`);
      continue;
    }
    const r = byItem.get(item)!;
    const { outcome, response } = r;
    const status = !response.response.allowed
      ? paint.bad('DENIED')
      : outcome.warnings.length > 0
        ? paint.warn('WARN')
        : paint.good('ALLOWED');
    const policy = outcome.runtimePolicy ? `runtime policy ${outcome.runtimePolicy}, ${outcome.mode}` : 'no runtime policy';
    lines.push(`${status} ${item.label} (${policy}; uid ${response.response.uid})`);
    if (item.namespace && item.namespace.source !== 'manifest') {
      lines.push(
        `  namespace: ${item.namespace.name} (${item.namespace.source === 'flag' ? 'from --namespace; ' : ''}the manifest names none)`,
      );
    }
    if (outcome.images.length === 0) lines.push(`  ${outcome.message}`);
    for (const img of outcome.images) {
      lines.push(imageLine(img, paint));
      if (opts.verbose) lines.push(...imageDetails(img));
    }
    // A warning about an image repeats its line (the webhook's wording): shown again only with --verbose.
    const shown = new Set(outcome.images.map((i) => i.line));
    for (const w of outcome.warnings) if (opts.verbose || !shown.has(w)) lines.push(`  warning: ${w}`);
    if (outcome.exceptionId) lines.push(`  exception: ${outcome.exceptionId}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new CliError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** `assay review …` (argv after `review`); returns the exit code. */
export async function reviewCommand(argv: readonly string[], io: CliIo, opts: ReviewOptions = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...CONTEXT_OPTION,
        snapshot: { type: 'string' },
        nats: { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        timeout: { type: 'string' },
        namespace: { type: 'string' },
        operation: { type: 'string' },
        cluster: { type: 'string' },
        'namespace-label': { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout(REVIEW_USAGE);
    return EXIT_ALLOWED;
  }
  if (positionals.length !== 1)
    throw new CliError(
      positionals.length === 0
        ? 'a file to review is required (or - for stdin); see assay review --help'
        : `one file at a time, got ${positionals.length}`,
    );
  const file = positionals[0]!;
  if (v.snapshot !== undefined && v.nats !== undefined)
    throw new CliError("give one decision source: --snapshot <file> or --nats <url> (or neither: the context's NATS)");
  if (v.snapshot !== undefined && (v.user !== undefined || v['password-file'] !== undefined))
    throw new CliError('--user and --password-file go with --nats');
  const output = oneOf('--output', v.output, ['text', 'json'] as const) ?? 'text';
  const operation = oneOf('--operation', v.operation, ['CREATE', 'UPDATE'] as const);
  const timeoutMs = v.timeout === undefined ? undefined : Number(v.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new CliError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(v.timeout)}`);

  // A namespace name is a DNS label; anything else would match policies no real request could.
  if (v.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v.namespace)) {
    throw new CliError(
      `--namespace must be a namespace name (a DNS label: lowercase letters, digits and "-", at most 63), got ${JSON.stringify(v.namespace)}`,
    );
  }
  if (v['namespace-label']) namespaceLabelFlags(v['namespace-label']);
  // The input is read and checked before connecting: a typo should not wait on NATS.
  const name = file === '-' ? '<stdin>' : file;
  const text = await readInput(file, io);
  reviewItems(text, name, { namespace: v.namespace, operation });

  let contents;
  if (v.snapshot !== undefined) {
    contents = parseSnapshotFile(await readInput(v.snapshot, io), v.snapshot);
  } else {
    const natsOpts: NatsOptions = {
      ...(await natsFromFlags(v)),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    };
    contents = await readBuckets(natsOpts);
  }
  const snapshot = decisionSnapshot(contents, v.cluster, namespaceLabelsFor(text, name, v['namespace-label']));
  const { items, results } = reviewText(text, name, snapshot, {
    namespace: v.namespace,
    operation,
    ...(opts.now ? { now: opts.now } : {}),
  });
  if (output === 'json') {
    // One response as the webhook sends it; several as a JSON array, in file order.
    const responses = results.map((r) => r.response);
    io.stdout(`${JSON.stringify(responses.length === 1 ? responses[0] : responses, null, 2)}\n`);
  } else {
    io.stdout(formatText(items, results, { verbose: v.verbose === true, paint: painter(colorFor(io)) }));
  }
  return results.every((r) => r.response.response.allowed) ? EXIT_ALLOWED : EXIT_DENIED;
}

/** `--namespace-label k=v` flags into labels; a malformed one is a usage error. */
function namespaceLabelFlags(flags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i <= 0) throw new CliError(`--namespace-label must be key=value, got ${JSON.stringify(f)}`);
    labels[f.slice(0, i)] = f.slice(i + 1);
  }
  return labels;
}

/**
 * Namespace labels as the webhook's namespace watch would know them: a Namespace object of the
 * file, then the flags, over the label Kubernetes puts on every namespace. Unknown (undefined)
 * when neither names any.
 */
function namespaceLabelsFor(text: string, name: string, flags: readonly string[] | undefined) {
  const inFile = namespaceLabelsIn(text, name);
  const fromFlags = flags ? namespaceLabelFlags(flags) : undefined;
  if (inFile.size === 0 && !fromFlags) return undefined;
  return (namespace: string) => {
    const own = inFile.get(namespace);
    if (!own && !fromFlags) return undefined;
    return { 'kubernetes.io/metadata.name': namespace, ...own, ...fromFlags };
  };
}
