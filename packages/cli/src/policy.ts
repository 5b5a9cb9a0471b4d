// `assay policy apply|get|list|diff`: the policy service's REST API (/api/v1/...) from the
// command line. apply sends multi-document YAML to /api/v1/import, so the same files that
// `assay scan --policy` reads (assay.dev/v1 documents) go to the running system unchanged.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { CONTEXT_HELP } from './context.ts';
import { CONNECTION_OPTIONS, policyConnection } from './policy-connection.ts';
import { request } from './http.ts';
import { CliError, EXIT_ALLOWED, EXIT_ERROR, readInput, type CliIo } from './io.ts';

export const POLICY_USAGE = `Usage: assay policy <apply|get|list|diff> [--api <url> --token-file <f>] [options]

  apply -f <file|->              create or update the documents of a multi-document YAML file
                                 (apiVersion assay.dev/v1: ImageAssurancePolicy, RuntimePolicy,
                                 PolicyException); unchanged ones are left alone
  list                           ids, versions and names
  get <id> [--version <n>]       one document (its current or a given version)
  diff <id> --from <n> --to <n>  differences between two versions

Options:
  --api <url>                    the policy service, e.g. http://policy:8080 (default: the context's)
  --token-file <f>               file holding the API bearer token (POLICY_API_TOKEN; default:
                                 the context's, when --api is the context's too)
${CONTEXT_HELP}
  --kind image|runtime           image assurance policies (default) or runtime policies
  --output text|json|yaml        output (default text; get defaults to yaml); -o
  -h, --help                     this help

Exit status: 0 done, 2 error (one line on stderr).
`;

interface RecordOut {
  id: string;
  version: number;
  document: Record<string, unknown> | null;
  createdAt?: string;
  createdBy?: string;
  deleted?: boolean;
}

export async function policyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') {
    io.stdout(POLICY_USAGE);
    return EXIT_ALLOWED;
  }
  if (sub === undefined) {
    io.stderr(POLICY_USAGE);
    return EXIT_ERROR;
  }
  if (!['apply', 'get', 'list', 'diff'].includes(sub))
    throw new CliError(`unknown subcommand ${JSON.stringify(sub)}; apply, get, list or diff`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...CONNECTION_OPTIONS,
        kind: { type: 'string' },
        output: { type: 'string', short: 'o' },
        file: { type: 'string', short: 'f' },
        version: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(POLICY_USAGE);
    return EXIT_ALLOWED;
  }
  const conn = await policyConnection(v);
  const api = { url: conn.api };
  const headers = conn.headers;
  const kind = v.kind ?? 'image';
  if (kind !== 'image' && kind !== 'runtime') throw new CliError('--kind must be image or runtime');
  const collection = `${api.url}/api/v1/${kind === 'image' ? 'policies' : 'runtime-policies'}`;
  const output = v.output;
  if (output !== undefined && !['text', 'json', 'yaml'].includes(output)) throw new CliError('--output must be text, json or yaml');
  const int = (s: string | undefined, name: string): number => {
    const n = Number(s);
    if (s === undefined || !Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a version number (1, 2, …)`);
    return n;
  };
  const oneId = (): string => {
    if (parsed.positionals.length !== 1) throw new CliError(`${sub}: expected one policy id`);
    return parsed.positionals[0]!;
  };

  switch (sub) {
    case 'apply': {
      const file = v.file ?? parsed.positionals[0];
      if (file === undefined) throw new CliError('apply: -f <file> is required');
      const text = await readInput(file, io);
      const res = await request(`${api.url}/api/v1/import`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/yaml' },
        body: text,
      });
      const body = JSON.parse(res.text) as { results: { kind: string; id: string; result: string; version?: number }[] };
      if (output === 'json') io.stdout(`${JSON.stringify(body, null, 2)}\n`);
      else
        for (const r of body.results)
          io.stdout(`${r.kind} ${r.id}: ${r.result}${r.version !== undefined ? ` (version ${r.version})` : ''}\n`);
      return EXIT_ALLOWED;
    }
    case 'list': {
      const items: RecordOut[] = [];
      let after: string | undefined;
      do {
        const res = await request(`${collection}?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`, { headers });
        const page = JSON.parse(res.text) as { items: RecordOut[]; next?: string };
        items.push(...page.items);
        after = page.next;
      } while (after !== undefined);
      if (output === 'json') io.stdout(`${JSON.stringify(items, null, 2)}\n`);
      else if (output === 'yaml') io.stdout(stringify(items));
      else {
        const rows = [
          ['ID', 'VERSION', 'NAME', 'ENABLED'],
          ...items.map((r) => [r.id, String(r.version), String(r.document?.name ?? ''), String(r.document?.enabled ?? '')]),
        ];
        const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) io.stdout(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ')}\n`);
      }
      return EXIT_ALLOWED;
    }
    case 'get': {
      const id = oneId();
      const url =
        v.version === undefined
          ? `${collection}/${encodeURIComponent(id)}`
          : `${collection}/${encodeURIComponent(id)}/versions/${int(v.version, '--version')}`;
      const r = JSON.parse((await kindHint(request(url, { headers }), collection, id, v.kind, headers)).text) as RecordOut;
      if (output === 'json') io.stdout(`${JSON.stringify(r, null, 2)}\n`);
      else {
        // The form `apply` and `scan --policy` read back.
        const doc = {
          apiVersion: 'assay.dev/v1',
          kind: kind === 'image' ? 'ImageAssurancePolicy' : 'RuntimePolicy',
          id: r.id,
          spec: r.document,
        };
        io.stdout(
          `# version ${r.version}${r.createdBy ? ` by ${r.createdBy}` : ''}${r.createdAt ? ` at ${r.createdAt}` : ''}${r.deleted ? ' (deleted)' : ''}\n${stringify(doc, { lineWidth: 0 })}`,
        );
      }
      return EXIT_ALLOWED;
    }
    case 'diff': {
      const id = oneId();
      const from = int(v.from, '--from');
      const to = int(v.to, '--to');
      const answer = request(`${collection}/${encodeURIComponent(id)}/diff?from=${from}&to=${to}`, { headers });
      const body = JSON.parse((await kindHint(answer, collection, id, v.kind, headers)).text) as {
        changes: Record<string, unknown>[];
      };
      if (output === 'json') io.stdout(`${JSON.stringify(body, null, 2)}\n`);
      else if (body.changes.length === 0) io.stdout(`${id}: versions ${from} and ${to} are the same\n`);
      else {
        io.stdout(`${id}: version ${from} → ${to}\n`);
        for (const c of body.changes) io.stdout(`  ${changeLine(c)}\n`);
      }
      return EXIT_ALLOWED;
    }
  }
  return EXIT_ERROR;
}

/**
 * An image assurance policy the API does not know (404), looked up without --kind: when a runtime
 * policy has that id the slip is the missing `--kind runtime`, and the error says so instead of a
 * bare 404 that reads as "no such policy at all".
 */
async function kindHint<T>(
  answer: Promise<T>,
  collection: string,
  id: string,
  kind: string | undefined,
  headers: Record<string, string>,
): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if (kind !== undefined || !(err instanceof CliError) || !/: HTTP 404\b/.test(err.message)) throw err;
    const runtime = `${collection.replace(/\/policies$/, '/runtime-policies')}/${encodeURIComponent(id)}`;
    const status = await fetch(runtime, { headers, signal: AbortSignal.timeout(10_000) }).then(
      (res) => (void res.body?.cancel(), res.status),
      () => 0,
    );
    if (status === 200) throw new CliError(`no image assurance policy ${id}; a runtime policy ${id} exists: add --kind runtime`);
    throw err;
  }
}

function changeLine(c: Record<string, unknown>): string {
  const path = String(c.path ?? '');
  const op = String(c.op ?? c.kind ?? c.type ?? 'change');
  const j = (x: unknown) => (x === undefined ? '' : JSON.stringify(x));
  if ('from' in c || 'to' in c) return `${op} ${path}: ${j(c.from)} → ${j(c.to)}`;
  if ('before' in c || 'after' in c) return `${op} ${path}: ${j(c.before)} → ${j(c.after)}`;
  return `${op} ${path} ${j(c.value)}`.trimEnd();
}
