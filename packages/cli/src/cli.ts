// Top-level dispatch, separate from main.ts so tests can run the whole CLI in-process.
import { CliError, EXIT_ALLOWED, EXIT_ERROR, type CliIo } from './io.ts';
import { policyCommand } from './policy.ts';
import { reportCommand } from './report.ts';
import { reviewCommand, type ReviewOptions } from './review.ts';
import { scanCommand } from './scan.ts';
import { snapshotCommand } from './snapshot.ts';
import { vulndbCommand } from './vulndb.ts';

const COMMANDS = ['scan', 'report', 'vulndb', 'policy', 'review', 'snapshot'];

export const USAGE = `Usage: assay <command> [options]

Commands:
  scan <image>       scan a registry image, an OCI layout or a docker save archive locally
                     (table, JSON, CycloneDX or SARIF; --policy to judge it; --exit-code for CI)
  report <digest>    a stored scan report from a running scanner
  vulndb             build, update or describe a vulnerability database file
  policy             apply, get, list or diff policies through the policy API
  review <file|->    print the decision the admission webhook would give for an AdmissionReview
                     or a Kubernetes manifest, against a snapshot file or a running system
  snapshot           write the buckets admission decides from as a snapshot file

Run \`assay <command> --help\` for a command's options.
`;

/** Runs `assay <argv…>`; returns the exit code. Errors become one line on stderr (exit 2). */
export async function runCli(argv: readonly string[], io: CliIo, opts: ReviewOptions = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(USAGE);
        return EXIT_ERROR;
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return EXIT_ALLOWED;
      case 'review':
        return await reviewCommand(rest, io, opts);
      case 'snapshot':
        return await snapshotCommand(rest, io);
      case 'scan':
        return await scanCommand(rest, io);
      case 'report':
        return await reportCommand(rest, io);
      case 'vulndb':
        return await vulndbCommand(rest, io);
      case 'policy':
        return await policyCommand(rest, io);
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.join(', ')} (assay --help)`);
    }
  } catch (err) {
    const prefix = command !== undefined && COMMANDS.includes(command) ? `assay ${command}` : 'assay';
    if (err instanceof CliError) {
      io.stderr(`${prefix}: ${err.message}\n`);
      return EXIT_ERROR;
    }
    // Anything else is a bug or an unexpected failure: still one clear line, and exit 2.
    io.stderr(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}
