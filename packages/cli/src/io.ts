// What a command reads and writes, passed in so tests can run commands in-process.
import { readFile } from 'node:fs/promises';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input (for the `-` file argument). */
  readStdin(): Promise<string>;
  /** Whether stderr is a terminal (progress is shown only then). */
  stderrIsTTY?: boolean;
  /** Whether stdout is a terminal (text output is coloured only then, see color.ts). */
  stdoutIsTTY?: boolean;
  /** Environment read for NO_COLOR / FORCE_COLOR; process.env when absent. */
  env?: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  stderrIsTTY: process.stderr.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Exit codes: 0 everything allowed, 1 something denied, 2 usage, input or decision-source error. */
export const EXIT_ALLOWED = 0;
export const EXIT_DENIED = 1;
export const EXIT_ERROR = 2;

/** A usage or input problem: printed as one line, exit 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A file's text, or standard input for `-`; a missing or unreadable file is a CliError. */
export async function readInput(path: string, io: CliIo): Promise<string> {
  if (path === '-') return io.readStdin();
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CliError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
  }
}
