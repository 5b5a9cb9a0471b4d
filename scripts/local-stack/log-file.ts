// A server's own log kept in a file under .assay/: lines appended in order, never blocking the
// caller, and a way to wait for the last one at shutdown.
import { appendFile } from 'node:fs/promises';

export interface LogFile {
  append(line: string): void;
  /** Resolves once every line appended so far is written. */
  flushed(): Promise<void>;
}

export function logFile(path: string): LogFile {
  let writes = Promise.resolve();
  return {
    append(line) {
      // A failed write (disk full) loses that line, never the server it came from.
      writes = writes.then(() => appendFile(path, line + '\n')).catch(() => {});
    },
    flushed: () => writes,
  };
}
