// Field builders: zod schemas that read one configuration variable from its string form
// (environment variables are strings; file values are turned into strings first), each with
// an error message that says what form is expected, so a ConfigError can name it in one line.
import { z } from 'zod';

/** What the error line says after the variable: `HTTP_PORT="abc" is not a port number (1-65535)`. */
export interface FieldMeta {
  /** The expected form, used when the value is missing or for a generic error: "a port number (1-65535)". */
  expected?: string;
  /** The value is a secret: never shown (also implied by the variable's name, see isSecretName). */
  secret?: boolean;
}

// Keyed by the schema's definition object, which zod shares between a schema and its clones
// (`.describe()` returns a clone), so the metadata survives them.
const metaByDef = new WeakMap<object, FieldMeta>();

interface WrapperDef {
  type?: string;
  defaultValue?: unknown;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(s: z.ZodType): WrapperDef | undefined {
  return (s as unknown as { _zod?: { def?: WrapperDef } })._zod?.def;
}

/** Attaches error-message metadata to a schema (kept through .default()/.optional()/.describe()). */
export function annotate<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  const def = defOf(schema);
  if (def) metaByDef.set(def, { ...metaByDef.get(def), ...meta });
  return schema;
}

/** Metadata of a schema or of the schema it wraps (default, optional, pipe…). */
export function fieldMeta(schema: z.ZodType): FieldMeta {
  let s: z.ZodType | undefined = schema;
  const seen = new Set<z.ZodType>();
  const merged: FieldMeta = {};
  while (s && !seen.has(s)) {
    seen.add(s);
    const def: WrapperDef | undefined = defOf(s);
    const m = def ? metaByDef.get(def) : undefined;
    if (m) {
      merged.expected ??= m.expected;
      merged.secret ??= m.secret;
    }
    s = def?.innerType ?? def?.in;
  }
  return merged;
}

/** Description given with .describe(), looked up through wrappers. */
export function fieldDescription(schema: z.ZodType): string | undefined {
  let s: z.ZodType | undefined = schema;
  const seen = new Set<z.ZodType>();
  while (s && !seen.has(s)) {
    seen.add(s);
    if (s.description) return s.description;
    const def: WrapperDef | undefined = defOf(s);
    s = def?.innerType ?? def?.in;
  }
  return undefined;
}

/** Default value of a field (the output value), if it has one. */
export function fieldDefault(schema: z.ZodType): unknown {
  let s: z.ZodType | undefined = schema;
  const seen = new Set<z.ZodType>();
  while (s && !seen.has(s)) {
    seen.add(s);
    const def: WrapperDef | undefined = defOf(s);
    if (def?.type === 'default') {
      const v = def.defaultValue;
      return typeof v === 'function' ? (v as () => unknown)() : v;
    }
    s = def?.innerType;
  }
  return undefined;
}

/** Variables whose value is never printed. */
export function isSecretName(name: string): boolean {
  return /PASSWORD|SECRET|TOKEN|SEED|KEY/i.test(name);
}

function fail(ctx: z.core.$RefinementCtx<string>, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER as never;
}

/** Any non-empty string. */
export function str(expected = 'a non-empty string') {
  return annotate(z.string({ error: `is not ${expected}` }).min(1, { error: `is not ${expected}` }), { expected });
}

/** A secret string (never shown in errors or logs). */
export function secret(expected = 'a non-empty string') {
  return annotate(str(expected), { secret: true });
}

/** An integer in [min, max]. */
export function int(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` (${min}-${max})`
      : opts.min !== undefined
        ? ` (>= ${min})`
        : opts.max !== undefined
          ? ` (<= ${max})`
          : '';
  const expected = `an integer${range}`;
  return annotate(
    z.string().transform((s, ctx): number => {
      const t = s.trim();
      if (!/^[+-]?\d+$/.test(t)) return fail(ctx, `is not ${expected}`);
      const n = Number(t);
      if (!Number.isSafeInteger(n) || n < min || n > max) return fail(ctx, `is not ${expected}`);
      return n;
    }),
    { expected },
  );
}

/** A TCP port number; `allowZero` lets 0 mean "any free port". */
export function port(opts: { allowZero?: boolean } = {}) {
  const expected = opts.allowZero ? 'a port number (1-65535, or 0 for any free port)' : 'a port number (1-65535)';
  const lo = opts.allowZero ? 0 : 1;
  return annotate(
    z.string().transform((s, ctx): number => {
      const t = s.trim();
      const n = /^\d+$/.test(t) ? Number(t) : NaN;
      if (!Number.isInteger(n) || n < lo || n > 65535) return fail(ctx, `is not ${expected}`);
      return n;
    }),
    { expected },
  );
}

/** A duration in milliseconds: `1500`, `1500ms`, `30s`, `5m`, `1h`. */
export function durationMs() {
  const expected = 'a duration (e.g. 1500, 1500ms, 30s, 5m, 1h)';
  const units: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return annotate(
    z.string().transform((s, ctx): number => {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(s.trim());
      if (!m) return fail(ctx, `is not ${expected}`);
      return Math.round(Number(m[1]) * units[m[2] ?? '']!);
    }),
    { expected },
  );
}

/** A boolean: true/false, 1/0, yes/no, on/off. */
export function bool() {
  const expected = 'a boolean (true/false, 1/0, yes/no, on/off)';
  return annotate(
    z.string().transform((s, ctx): boolean => {
      const t = s.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      return fail(ctx, `is not ${expected}`);
    }),
    { expected },
  );
}

/** One of a fixed set of words (case-insensitive input, lower-case output). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const expected = `one of ${values.join(', ')}`;
  return annotate(
    z.string().transform((s, ctx): T[number] => {
      const t = s.trim().toLowerCase();
      const hit = values.find((v) => v.toLowerCase() === t);
      if (hit === undefined) return fail(ctx, `is not ${expected}`);
      return hit;
    }),
    { expected },
  );
}

/** A URL with one of the given schemes. */
export function url(opts: { protocols?: readonly string[]; expected?: string } = {}) {
  const protocols = opts.protocols ?? ['http', 'https'];
  const expected = opts.expected ?? `a URL (${protocols.map((p) => `${p}://`).join(' or ')}…)`;
  return annotate(
    z.string().transform((s, ctx): string => {
      const t = s.trim();
      if (!isUrl(t, protocols)) return fail(ctx, `is not ${expected}`);
      return t;
    }),
    { expected },
  );
}

function isUrl(s: string, protocols: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return protocols.includes(u.protocol.replace(/:$/, '')) && u.hostname !== '';
}

/** NATS server URLs, comma-separated for a cluster: `nats://host:4222,nats://host2:4222`. */
export function natsServers() {
  const expected = 'a NATS URL (nats://host:port, or tls://…; comma-separated for a cluster)';
  return annotate(
    z.string().transform((s, ctx): string[] => {
      const list = s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
      if (list.length === 0 || !list.every((u) => isUrl(u, ['nats', 'tls', 'ws', 'wss']))) {
        return fail(ctx, `is not ${expected}`);
      }
      return list;
    }),
    { expected },
  );
}

/** A comma-separated list of non-empty strings. */
export function list(expected = 'a comma-separated list') {
  return annotate(
    z.string().transform((s): string[] =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
    { expected },
  );
}

/** pino log levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevel() {
  return oneOf(LOG_LEVELS);
}
