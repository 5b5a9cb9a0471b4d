// A command's options, parsed the same way by every `assay` command: `-h`/`--help` always there,
// and a malformed or unknown option an error of the command (exit 2, one line), not a crash.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError } from './io.ts';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs over `argv` with these options and `--help`; positionals allowed unless said otherwise. */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(argv: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: [...argv], allowPositionals, strict: true, options: { ...options, ...HELP } });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
