// Top-level dispatch, separate from main.ts so tests can run the whole CLI in-process.
import { CliError, EXIT_ALLOWED, EXIT_ERROR, type CliIo } from './io.ts';
import { imagesCommand } from './images.ts';
import { policyCommand } from './policy.ts';
import { reportCommand } from './report.ts';
import { reviewCommand, type ReviewOptions } from './review.ts';
import { scanCommand } from './scan.ts';
import { snapshotCommand } from './snapshot.ts';
import { statusCommand } from './status.ts';
import { verifyCommand } from './verify.ts';
import { vulndbCommand } from './vulndb.ts';

type Command = (argv: readonly string[], io: CliIo, opts: ReviewOptions) => Promise<number>;

/** Every command by name, in the order the error for an unknown one lists them. */
const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['scan', scanCommand],
  ['verify', verifyCommand],
  ['report', reportCommand],
  ['vulndb', vulndbCommand],
  ['policy', policyCommand],
  ['images', imagesCommand],
  ['status', statusCommand],
  ['review', reviewCommand],
  ['snapshot', snapshotCommand],
]);

export const USAGE = `Usage: assay <command> [options]

Commands:
  scan <image>       scan a registry image, an OCI layout or a docker save archive locally
                     (table, JSON, CycloneDX or SARIF; --policy to judge it; --exit-code for CI)
  verify <image>     verify an image's signatures or attestations (--key, or keyless
                     --certificate-identity and --certificate-oidc-issuer; cosign's flags)
  report <digest>    a stored scan report from a running scanner
  vulndb             build, update or describe a vulnerability database file
  policy             apply, get, list or diff policies through the policy API
  images             the images the running system judged, newest verdict first (filters, pages)
  status <image>     an image's verdict: compliance, reasons, when, under which policy versions
  review <file|->    print the decision the admission webhook would give for an AdmissionReview
                     or a Kubernetes manifest, against a snapshot file or a running system
  snapshot           write the buckets admission decides from as a snapshot file

Run \`assay <command> --help\` for a command's options.
`;

/** Runs `assay <argv…>`; returns the exit code. Errors become one line on stderr (exit 2). */
export async function runCli(argv: readonly string[], io: CliIo, opts: ReviewOptions = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr(USAGE);
    return EXIT_ERROR;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout(USAGE);
    return EXIT_ALLOWED;
  }
  const run = COMMANDS.get(command);
  try {
    if (!run) throw new CliError(`unknown command ${JSON.stringify(command)}; commands: ${[...COMMANDS.keys()].join(', ')} (assay --help)`);
    return await run(rest, io, opts);
  } catch (err) {
    // A usage or input problem (CliError), or a bug or an unexpected failure: either way one
    // clear line naming the command, and exit 2.
    io.stderr(`${run ? `assay ${command}` : 'assay'}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}
