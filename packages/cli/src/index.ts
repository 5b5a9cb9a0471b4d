// @assay/cli: the commands as functions, for tests and for embedding.
export { runCli, USAGE } from './cli.ts';
export { resolveContext, type AssayContext, type ContextEnv } from './context.ts';
export { CliError, EXIT_ALLOWED, EXIT_DENIED, EXIT_ERROR, processIo, type CliIo } from './io.ts';
export { policyCommand } from './policy.ts';
export { reportCommand } from './report.ts';
export { reviewCommand, type ReviewOptions } from './review.ts';
export { scanCommand } from './scan.ts';
export { snapshotCommand } from './snapshot.ts';
export { SNAPSHOT_VERSION, type SnapshotFile } from './snapshot-file.ts';
export { vulndbCommand } from './vulndb.ts';
