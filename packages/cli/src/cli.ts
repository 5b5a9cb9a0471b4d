// Top-level dispatch, separate from main.ts so tests can run the whole CLI in-process.
import { CliError, EXIT_ALLOWED, EXIT_ERROR, type CliIo } from './io.ts';
import { reviewCommand, type ReviewOptions } from './review.ts';
import { snapshotCommand } from './snapshot.ts';

export const USAGE = `Usage: assay <command> [options]

Commands:
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
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}; commands: review, snapshot (assay --help)`);
    }
  } catch (err) {
    const prefix = command === 'review' || command === 'snapshot' ? `assay ${command}` : 'assay';
    if (err instanceof CliError) {
      io.stderr(`${prefix}: ${err.message}\n`);
      return EXIT_ERROR;
    }
    // Anything else is a bug or an unexpected failure: still one clear line, and exit 2.
    io.stderr(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}
