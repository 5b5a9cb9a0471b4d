// `assay` entry point (started by bin/assay.mjs): runs the command, exits with its code.
import { runCli } from './cli.ts';
import { processIo } from './io.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo);
