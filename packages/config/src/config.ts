// Typed configuration from environment variables and an optional file (ASSAY_CONFIG_FILE,
// YAML or JSON; the environment wins), validated once at start. A service declares its
// variables once, as a map from variable name to a zod schema that reads the variable's string
// form; the loaded config has the same keys with typed values.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fieldDefault, fieldDescription, fieldMeta, isSecretName } from './fields.ts';

/** Variable name → schema reading the variable's string value. */
export type ConfigShape = Record<string, z.ZodType>;

/** The loaded, typed configuration of a shape. */
export type ConfigOf<S extends ConfigShape> = { -readonly [K in keyof S]: z.output<S[K]> };

export type Env = Record<string, string | undefined>;

/** Variable naming an optional configuration file (YAML, or JSON when it ends in .json). */
export const CONFIG_FILE_VAR = 'ASSAY_CONFIG_FILE';

export interface ConfigProblem {
  /** The variable at fault. */
  readonly variable: string;
  /** What is wrong, ready to print after the variable (and its value). */
  readonly message: string;
}

/**
 * Configuration is unusable. `message` is one line naming every bad variable, its value
 * (`<redacted>` for secrets) and the expected form:
 * `invalid configuration: HTTP_PORT="abc" is not a port number (1-65535)`.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** Variables to read; process.env by default. */
  env?: Env;
  /**
   * Configuration file to read under the variables; by default the one named by
   * ASSAY_CONFIG_FILE in `env`. `false` reads no file.
   */
  file?: string | false;
}

export interface ConfigVariable {
  readonly name: string;
  readonly description: string | undefined;
  readonly expected: string | undefined;
  readonly default: unknown;
  readonly secret: boolean;
}

export interface ConfigSpec<S extends ConfigShape> {
  readonly shape: S;
  /** Reads and validates; throws ConfigError. */
  load(opts?: LoadOptions): ConfigOf<S>;
  /** The declared variables, for documentation and `--help`. */
  variables(): ConfigVariable[];
  /** A copy of a loaded config safe to log: secret values replaced by `<redacted>`. */
  redact(config: ConfigOf<S>): Record<string, unknown>;
  /** A spec with more variables (later keys win). */
  extend<T extends ConfigShape>(more: T): ConfigSpec<Omit<S, keyof T> & T>;
}

export const REDACTED = '<redacted>';

/**
 * A rule over several variables, run after each variable is valid on its own; returns the
 * problems found (e.g. `NATS_USER is set but NATS_PASSWORD is not`).
 */
export type ConfigCheck<S extends ConfigShape> = (config: ConfigOf<S>) => ConfigProblem[] | ConfigProblem | undefined;

export interface DefineConfigOptions<S extends ConfigShape> {
  checks?: ReadonlyArray<ConfigCheck<S>>;
}

/** Declares a service's configuration once. */
export function defineConfig<S extends ConfigShape>(shape: S, options: DefineConfigOptions<S> = {}): ConfigSpec<S> {
  const isSecret = (name: string) => isSecretName(name) || (shape[name] ? fieldMeta(shape[name]).secret === true : false);
  const checks = options.checks ?? [];
  return {
    shape,
    load: (opts = {}) => {
      const config = loadConfig(shape, isSecret, opts);
      const problems = checks.flatMap((check) => {
        const r = check(config);
        return r === undefined ? [] : Array.isArray(r) ? r : [r];
      });
      if (problems.length > 0) throw new ConfigError(problems);
      return config;
    },
    variables: () =>
      Object.entries(shape).map(([name, schema]) => {
        const meta = fieldMeta(schema);
        return {
          name,
          description: fieldDescription(schema),
          expected: meta.expected,
          default: fieldDefault(schema),
          secret: isSecret(name),
        };
      }),
    redact: (config) => Object.fromEntries(Object.entries(config).map(([k, v]) => [k, isSecret(k) && v !== undefined ? REDACTED : v])),
    extend: <T extends ConfigShape>(more: T) =>
      defineConfig<Omit<S, keyof T> & T>({ ...shape, ...more } as Omit<S, keyof T> & T, {
        // The extended config has every variable the checks read (later keys may only narrow them).
        checks: checks as unknown as ReadonlyArray<ConfigCheck<Omit<S, keyof T> & T>>,
      }),
  };
}

/** A value shown in an error line: quoted, on one line, or `<redacted>`. */
function showValue(name: string, value: string, secret: boolean): string {
  if (secret) return `${name}=${REDACTED}`;
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return `${name}=${JSON.stringify(shown)}`;
}

/** File values are turned into the string form an environment variable would have. */
function fileValueToString(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return v.join(',');
  return JSON.stringify(v);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function readConfigFile(path: string): Record<string, unknown> {
  const where = `${CONFIG_FILE_VAR}=${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
    throw new ConfigError([{ variable: CONFIG_FILE_VAR, message: `${where} cannot be read (${why})` }]);
  }
  const json = extname(path).toLowerCase() === '.json';
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const kind = json ? 'JSON' : 'YAML';
    throw new ConfigError([{ variable: CONFIG_FILE_VAR, message: `${where} is not valid ${kind} (${oneLine((err as Error).message)})` }]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      {
        variable: CONFIG_FILE_VAR,
        message: `${where} is not a mapping of variable names to values (e.g. HTTP_PORT: 8081)`,
      },
    ]);
  }
  return data as Record<string, unknown>;
}

function loadConfig<S extends ConfigShape>(shape: S, isSecret: (name: string) => boolean, opts: LoadOptions): ConfigOf<S> {
  const env = opts.env ?? process.env;
  const filePath = opts.file === false ? undefined : (opts.file ?? nonEmpty(env[CONFIG_FILE_VAR]));
  const fileData = filePath ? readConfigFile(filePath) : {};

  const out: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, schema] of Object.entries(shape)) {
    // Empty variables count as unset, so `FOO=` in a shell or a manifest falls back to the default.
    const fromEnv = nonEmpty(env[name]);
    const fromFile = fromEnv === undefined ? nonEmpty(fileValueToString(fileData[name])) : undefined;
    const raw = fromEnv ?? fromFile;
    const source = fromEnv === undefined && fromFile !== undefined ? ` (from ${filePath})` : '';
    const result = schema.safeParse(raw);
    if (result.success) {
      out[name] = result.data;
      continue;
    }
    const meta = fieldMeta(schema);
    const secret = isSecret(name);
    if (raw === undefined) {
      problems.push({ variable: name, message: `${name} is required${meta.expected ? ` (${meta.expected})` : ''}` });
      continue;
    }
    const issue = result.error.issues[0];
    // Our field builders phrase their messages as "is not <expected form>"; a plain zod schema
    // gives its own message, to which the expected form is added when one was declared.
    let why = issue?.message ?? 'is invalid';
    if (!why.startsWith('is ')) why = `is invalid: ${why}${meta.expected ? ` (expected ${meta.expected})` : ''}`;
    // zod messages may echo the input: never let a secret through that way.
    if (secret && raw !== '' && why.includes(raw)) why = why.split(raw).join(REDACTED);
    problems.push({ variable: name, message: oneLine(`${showValue(name, raw, secret)}${source} ${why}`) });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

export { z };
