// `assay snapshot`: the four buckets admission decides from, written as a snapshot file for
// `assay review --snapshot` (offline, reproducible reviews: CI, audits, incident replays).
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CliError, EXIT_ALLOWED, type CliIo } from './io.ts';
import { CONTEXT_OPTION } from './context.ts';
import { NATS_CONTEXT_HELP, natsFromFlags, readBuckets } from './nats.ts';
import { SNAPSHOT_VERSION, toSnapshotFile } from './snapshot-file.ts';

export const SNAPSHOT_USAGE = `Usage: assay snapshot [--nats <url>] [--user <u> --password-file <f>] [--out <file>]

Writes the verdicts, tags, runtime-policies and policy-exceptions buckets of a running system
as a JSON snapshot (snapshotVersion ${SNAPSHOT_VERSION}) that \`assay review --snapshot\` reads.

  --nats <url>             NATS URL (comma-separated for a cluster)
${NATS_CONTEXT_HELP}
  --user <u>               NATS user
  --password-file <f>      file holding the NATS password
  --out <file>             where to write (default: stdout)
  --timeout <ms>           bound on connecting and reading the buckets (default 10000)
  -h, --help               this help
`;

export async function snapshotCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        ...CONTEXT_OPTION,
        nats: { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        out: { type: 'string', short: 'o' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(SNAPSHOT_USAGE);
    return EXIT_ALLOWED;
  }
  const timeoutMs = v.timeout === undefined ? undefined : Number(v.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new CliError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(v.timeout)}`);
  const nats = await natsFromFlags(v);
  const contents = await readBuckets({
    ...nats,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  const text = `${JSON.stringify(toSnapshotFile(contents, nats.url), null, 2)}\n`;
  if (v.out === undefined || v.out === '-') {
    io.stdout(text);
  } else {
    // Written beside and renamed: a reader never sees half a snapshot.
    const tmp = `${v.out}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, text);
      await rename(tmp, v.out);
    } catch (err) {
      throw new CliError(`--out ${v.out}: ${(err as Error).message}`);
    }
    io.stderr(
      `assay snapshot: wrote ${v.out}: ${contents.verdicts.size} verdicts, ${contents.tags.size} tags, ${contents.runtimePolicies.size} runtime policies, ${contents.exceptions.size} exceptions\n`,
    );
  }
  return EXIT_ALLOWED;
}
