// Evaluates custom compliance checks against what the scan found: a read-only, bounded view of
// the image's final filesystem, the image config and the package inventory. Every result says
// why it passed or failed, in the shape of the scan report's `checks` entries.
import type { Package } from '../analyzer.ts';
import {
  DEFAULT_CONTENT_BYTES,
  DEFAULT_SECRET_ENV_ALLOW,
  DEFAULT_SECRET_ENV_PATTERNS,
  parseChecks,
  type CheckDefinition,
} from './schema.ts';
import { comparableVersion, ecosystemForType, parseVersionRange, rangeIncludes } from '@assay/versions';

/**
 * The image's final filesystem, read-only. Paths are handed over cleaned and relative, as
 * analyzers see them (`etc/passwd`); an implementation resolves whiteouts and reads at most
 * `maxBytes` (undefined when the path is missing or not a regular file).
 */
export interface CheckFilesystem {
  exists(path: string): boolean;
  read(path: string, maxBytes: number): Buffer | undefined;
}

/** Image config facts (from the config blob's `config` and `created`). */
export interface ImageConfigFacts {
  /** `User` as the config states it: `''`/absent means root. */
  readonly user?: string;
  /** Env variable names only: values never reach the checks. */
  readonly envNames: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** RFC 3339 creation time. */
  readonly created?: string;
}

export interface CheckInput {
  readonly fs: CheckFilesystem;
  readonly config: ImageConfigFacts;
  readonly packages: readonly Package[];
  /** Clock for age checks (tests pass a fixed one). */
  readonly now?: Date;
}

/** One check's outcome: the report's `checks` entry. */
export interface CheckResult {
  readonly id: string;
  readonly passed: boolean;
  readonly message: string;
}

/**
 * Runs validated checks (parseChecks) or raw definitions (validated here; InvalidCheckError).
 * A check that cannot be evaluated fails with the reason: a check never passes by accident.
 */
export function evaluateChecks(checks: unknown, input: CheckInput): CheckResult[] {
  const defs = parseChecks(checks);
  return defs.map((c) => {
    try {
      return { id: c.id, ...evaluateOne(c, input) };
    } catch (err) {
      return { id: c.id, passed: false, message: `could not be evaluated: ${(err as Error).message}` };
    }
  });
}

type Outcome = { passed: boolean; message: string };
const pass = (message: string): Outcome => ({ passed: true, message });
const fail = (message: string): Outcome => ({ passed: false, message });

function evaluateOne(c: CheckDefinition, input: CheckInput): Outcome {
  const { fs, config } = input;
  switch (c.kind) {
    case 'fileExists':
      return fs.exists(relative(c.path)) ? pass(`${c.path} exists`) : fail(`${c.path} does not exist`);
    case 'fileAbsent':
      return fs.exists(relative(c.path)) ? fail(`${c.path} is present`) : pass(`${c.path} is absent`);
    case 'fileContentMatches':
    case 'fileContentNotMatches': {
      const content = fs.read(relative(c.path), c.maxBytes ?? DEFAULT_CONTENT_BYTES);
      if (content === undefined) return fail(`${c.path} is missing or not a regular file`);
      const matched = new RegExp(c.pattern, c.flags ?? '').test(content.toString('utf8'));
      const want = c.kind === 'fileContentMatches';
      const what = `${c.path} ${matched ? 'matches' : 'does not match'} /${c.pattern}/${c.flags ?? ''}`;
      return matched === want ? pass(what) : fail(what);
    }
    case 'packagePresent':
    case 'packageAbsent':
      return packageCheck(c, input.packages);
    case 'nonRootUser':
      return nonRootUser(config.user, fs, c.requireNumeric ?? false);
    case 'noSecretEnvNames': {
      const globs = (c.patterns ?? DEFAULT_SECRET_ENV_PATTERNS).map(globToRegExp);
      const allow = new Set(c.allow ?? DEFAULT_SECRET_ENV_ALLOW);
      const bad = config.envNames.filter((n) => !allow.has(n) && globs.some((g) => g.test(n)));
      return bad.length === 0
        ? pass('no environment variable name suggests a secret')
        : fail(`environment variables suggesting secrets: ${bad.join(', ')}`);
    }
    case 'maxImageAgeDays': {
      if (!config.created) return fail('the image config has no creation time');
      const created = Date.parse(config.created);
      if (Number.isNaN(created)) return fail(`the image creation time "${config.created}" is not a date`);
      const days = ((input.now ?? new Date()).getTime() - created) / 86_400_000;
      const age = `${Math.floor(days)} days old (created ${config.created}); limit ${c.days} days`;
      return days <= c.days ? pass(`image is ${age}`) : fail(`image is ${age}`);
    }
    case 'requiredLabels': {
      const problems: string[] = [];
      for (const l of c.labels) {
        const { name, value } = typeof l === 'string' ? { name: l, value: undefined } : l;
        const actual = config.labels[name];
        if (actual === undefined || actual === '') problems.push(`${name} is missing`);
        else if (value !== undefined && actual !== value) problems.push(`${name} is "${actual}", expected "${value}"`);
      }
      return problems.length === 0
        ? pass(`labels present: ${c.labels.map((l) => (typeof l === 'string' ? l : l.name)).join(', ')}`)
        : fail(problems.join('; '));
    }
  }
}

function packageCheck(c: Extract<CheckDefinition, { kind: 'packagePresent' | 'packageAbsent' }>, packages: readonly Package[]): Outcome {
  const range = c.versionRange !== undefined ? parseVersionRange(c.versionRange) : undefined;
  const named = packages.filter((p) => p.name === c.name && (c.type === undefined || p.type === c.type));
  const matching: Package[] = [];
  const uncomparable: Package[] = [];
  for (const p of named) {
    if (!range) {
      matching.push(p);
      continue;
    }
    const within = rangeIncludes(ecosystemForType(p.type), comparableVersion(p), range);
    if (within === undefined) uncomparable.push(p);
    else if (within) matching.push(p);
  }
  const what = `${c.type ? `${c.type} ` : ''}package ${c.name}${c.versionRange ? ` ${c.versionRange}` : ''}`;
  const list = (ps: Package[]) => ps.map((p) => `${p.name}@${comparableVersion(p)}${p.path ? ` (${p.path})` : ''}`).join(', ');
  if (c.kind === 'packagePresent') {
    if (matching.length > 0) return pass(`${what} found: ${list(matching)}`);
    return fail(`${what} not found${named.length > 0 ? `; installed: ${list(named)}` : ''}`);
  }
  if (matching.length > 0) return fail(`${what} found: ${list(matching)}`);
  // A version we cannot order could be in the range: say so rather than pass.
  if (uncomparable.length > 0) return fail(`cannot compare versions of ${list(uncomparable)} with ${c.versionRange}`);
  return pass(`${what} absent`);
}

function nonRootUser(user: string | undefined, fs: CheckFilesystem, requireNumeric: boolean): Outcome {
  const spec = (user ?? '').trim();
  if (spec === '') return fail('no user is set: the container runs as root');
  const name = spec.split(':')[0] ?? '';
  if (/^\d+$/.test(name))
    return Number(name) === 0 ? fail(`user "${spec}" is uid 0 (root)`) : pass(`user "${spec}" is uid ${Number(name)}`);
  if (name === 'root') return fail(`user "${spec}" is root`);
  if (requireNumeric) return fail(`user "${spec}" is not numeric, so it cannot be verified as non-root`);
  // Resolve the name the way the runtime would, from the image's own /etc/passwd (read, never run).
  const passwd = fs.read('etc/passwd', 1024 * 1024);
  if (!passwd) return fail(`user "${spec}" cannot be resolved: the image has no /etc/passwd`);
  for (const line of passwd.toString('utf8').split('\n')) {
    const [entryName, , uid] = line.split(':');
    if (entryName === name && uid !== undefined && /^\d+$/.test(uid)) {
      return Number(uid) === 0 ? fail(`user "${spec}" maps to uid 0 (root) in /etc/passwd`) : pass(`user "${spec}" is uid ${Number(uid)}`);
    }
  }
  return fail(`user "${spec}" is not in /etc/passwd`);
}

/** `/etc/./passwd` → `etc/passwd` (definitions are refused with `..` segments). */
function relative(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}
