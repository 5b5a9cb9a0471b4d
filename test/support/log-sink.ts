// A pino destination for tests: every JSON line a logger writes, parsed, in order.
import { Writable } from 'node:stream';

export interface LogSink<L = Record<string, unknown>> {
  readonly lines: L[];
  readonly destination: Writable;
}

export function logSink<L = Record<string, unknown>>(): LogSink<L> {
  const lines: L[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as L);
      cb();
    },
  });
  return { lines, destination };
}
