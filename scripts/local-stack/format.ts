// Readable log lines for the terminal: `HH:MM:SS service LEVEL message key=val`, from the
// services' pino JSON lines. Non-JSON lines pass through under the service's name. Colours only
// on a terminal and without NO_COLOR; FORCE_COLOR forces them.
import { useColor } from '@assay/kit';

/** The colour rule, shared with the CLI (re-exported for the local stack's callers). */
export { useColor };

export interface FormatterOptions {
  color: boolean;
  /** Width of the service column (the longest name). */
  nameWidth?: number;
}

/** Whether to colour output written to `stream`. */
const ESC = '\u001b[';
const paint = (code: string) => (s: string) => `${ESC}${code}m${s}${ESC}0m`;
const dim = paint('2');
const LEVEL_COLORS: Record<string, (s: string) => string> = {
  TRACE: paint('90'),
  DEBUG: paint('36'),
  INFO: paint('32'),
  WARN: paint('33'),
  ERROR: paint('31'),
  FATAL: paint('1;41;97'),
};
const NAME_COLORS = ['34', '35', '36', '33', '32', '94', '95', '96'].map(paint);

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

// Fields every line has, or that are shown in their own column.
const HIDDEN = new Set(['time', 'level', 'msg', 'message', 'service', 'instance', 'pid', 'hostname', 'v']);

function clock(time: unknown): string {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function value(v: unknown): string {
  if (typeof v === 'string') return v === '' || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

export interface LogFormatter {
  /** One input line from `service` → the text to print (no trailing newline; may span lines). */
  format(service: string, line: string): string;
  /** A line of the launcher's own, at `level`. */
  message(service: string, level: string, msg: string, fields?: Record<string, unknown>): string;
}

export function createFormatter(opts: FormatterOptions): LogFormatter {
  const width = opts.nameWidth ?? 16;
  const nameColors = new Map<string, (s: string) => string>();
  const nameOf = (service: string) => {
    const padded = service.padEnd(width);
    if (!opts.color) return padded;
    let c = nameColors.get(service);
    if (!c) {
      c = NAME_COLORS[nameColors.size % NAME_COLORS.length]!;
      nameColors.set(service, c);
    }
    return c(padded);
  };
  const levelOf = (level: string) => {
    const up = level.toUpperCase().padEnd(5);
    return opts.color ? (LEVEL_COLORS[level.toUpperCase()] ?? ((s: string) => s))(up) : up;
  };

  const render = (time: unknown, service: string, level: string, msg: string, fields: Record<string, unknown>) => {
    const extra: string[] = [];
    let stack: string | undefined;
    for (const [k, v] of Object.entries(fields)) {
      if (HIDDEN.has(k) || v === undefined) continue;
      if ((k === 'err' || k === 'error') && v !== null && typeof v === 'object' && 'message' in v) {
        const e = v as { message?: unknown; stack?: unknown; type?: unknown };
        extra.push(`${k}=${value(String(e.message))}`);
        if (typeof e.stack === 'string' && ['error', 'fatal'].includes(level)) stack = e.stack;
        continue;
      }
      const kv = `${k}=${value(v)}`;
      extra.push(opts.color ? dim(kv) : kv);
    }
    const head = `${opts.color ? dim(clock(time)) : clock(time)} ${nameOf(service)} ${levelOf(level)} ${msg}`;
    const line = extra.length > 0 ? `${head} ${extra.join(' ')}` : head;
    if (!stack) return line;
    const indented = stack
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    return `${line}\n${opts.color ? dim(indented) : indented}`;
  };

  return {
    format(service, line) {
      const trimmed = line.trimEnd();
      if (trimmed.startsWith('{')) {
        let obj: unknown;
        try {
          obj = JSON.parse(trimmed);
        } catch {
          obj = undefined;
        }
        if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
          const o = obj as Record<string, unknown>;
          const rawLevel = o.level;
          const level =
            typeof rawLevel === 'number' ? (PINO_LEVELS[rawLevel] ?? String(rawLevel)) : typeof rawLevel === 'string' ? rawLevel : 'info';
          const msg = typeof o.msg === 'string' ? o.msg : typeof o.message === 'string' ? o.message : '';
          return render(o.time, service, level, msg, o);
        }
      }
      // Not a JSON log line (a crash trace, a warning from Node): as it is, under the service's name.
      return `${opts.color ? dim(clock(undefined)) : clock(undefined)} ${nameOf(service)} ${trimmed}`;
    },
    message(service, level, msg, fields = {}) {
      return render(undefined, service, level, msg, fields);
    },
  };
}
