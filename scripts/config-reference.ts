// Renders docs/configuration.md, the reference of every configuration variable of every service,
// from the services' config schemas (serviceConfigSpec: the common variables plus each service's
// own), so the document cannot drift from the code.
//
//   node scripts/config-reference.ts          writes docs/configuration.md
//   node scripts/config-reference.ts --check  exits 1 if docs/configuration.md differs from what it would write
//
// test/docs/config-reference.test.ts fails when the file is stale. The output must not depend on
// the machine: a default computed at start (SERVICE_INSTANCE is <hostname>-<pid>) is shown as its
// description states it, "(default: …)".
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE_VAR, type ConfigVariable } from '@assay/config';
import { serviceConfigSpec, type ServiceDefinition } from '@assay/service-kit';
import { registryWatcherService } from '@assay/registry-watcher';
import { scannerService } from '@assay/scanner';
import { policyService } from '@assay/policy';
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const referencePath = resolve(repoRoot, 'docs', 'configuration.md');

type AnyDefinition = ServiceDefinition<any, any>;

/** The services, in the order images flow through them. */
export const services: readonly AnyDefinition[] = [registryWatcherService, scannerService, policyService, admissionService, auditService];

/** One variable as the reference shows it. */
interface Row {
  readonly name: string;
  readonly description: string;
  readonly expected: string | undefined;
  readonly secret: boolean;
  /** Markdown of the default column. */
  readonly shownDefault: string;
}

interface ServiceVariables {
  readonly def: AnyDefinition;
  /** The service's own variables (including any that replace a common one). */
  readonly own: Row[];
  /** The common variables the service keeps. */
  readonly common: Row[];
}

/** Variables without a description, as `service: VARIABLE` (common ones once, as `common: …`). */
export function undescribedVariables(defs: readonly AnyDefinition[] = services): string[] {
  const out = new Set<string>();
  for (const s of collect(defs)) {
    for (const r of s.common) if (r.description === '') out.add(`common: ${r.name}`);
    for (const r of s.own) if (r.description === '') out.add(`${s.def.name}: ${r.name}`);
  }
  return [...out];
}

function collect(defs: readonly AnyDefinition[]): ServiceVariables[] {
  return defs.map((def) => {
    const spec = serviceConfigSpec(def);
    const ownNames = new Set(Object.keys(def.config ?? {}));
    const own: Row[] = [];
    const common: Row[] = [];
    for (const v of spec.variables()) {
      const schema = (spec.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>)[v.name];
      (ownNames.has(v.name) ? own : common).push(toRow(v, schema));
    }
    return { def, own, common };
  });
}

function toRow(v: ConfigVariable, schema: { safeParse(v: unknown): { success: boolean } } | undefined): Row {
  const description = oneLine(v.description ?? '');
  return {
    name: v.name,
    description,
    expected: v.expected,
    secret: v.secret,
    shownDefault: showDefault(v, description, schema),
  };
}

function showDefault(v: ConfigVariable, description: string, schema: { safeParse(v: unknown): { success: boolean } } | undefined): string {
  // A default computed at start is documented by its description: "(default: <hostname>-<pid>)".
  const stated = /\(default: ([^)]+)\)/.exec(description)?.[1];
  if (v.default !== undefined && stated !== undefined) return code(stated);
  if (v.default === undefined) {
    let required = false;
    try {
      required = schema !== undefined && !schema.safeParse(undefined).success;
    } catch {
      required = false;
    }
    return required ? '**required**' : '*unset*';
  }
  return showValue(v.default, v.expected);
}

/** A default in the form the variable would be written in (durations and sizes with units). */
function showValue(value: unknown, expected: string | undefined): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '*none*';
    if (value.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return code(value.join(','));
    return code(JSON.stringify(value));
  }
  if (typeof value === 'number' && expected?.startsWith('a duration')) return code(duration(value));
  if (typeof value === 'number' && expected?.startsWith('a size in bytes')) return code(size(value));
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return code(String(value));
  }
  return code(JSON.stringify(value) ?? String(value));
}

function duration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) return String(ms);
  for (const [unit, n] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % n === 0) return `${ms / n}${unit}`;
  }
  return `${ms}ms`;
}

function size(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes <= 0) return String(bytes);
  for (const [unit, n] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Plain text in a table cell: nothing taken for HTML, emphasis or a column break. */
function text(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\*/g, '\\*')
    .replace(/`/g, '\\`')
    .replace(/\|/g, '\\|');
}

/** A code span in a table cell. */
function code(s: string): string {
  const fence = s.includes('`') ? '``' : '`';
  const pad = s.includes('`') ? ' ' : '';
  return `${fence}${pad}${s.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function variableCell(r: Row): string {
  return `${code(r.name)}${r.secret ? ' 🔒' : ''}`;
}

function descriptionCell(r: Row): string {
  const parts: string[] = [];
  if (r.description !== '') parts.push(text(r.description));
  if (r.expected !== undefined) parts.push(`*Form:* ${text(r.expected)}`);
  return parts.join('<br>');
}

function table(rows: readonly { variable: string; default: string; description: string }[]): string[] {
  return [
    '| variable | default | description |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.variable} | ${r.default} | ${r.description} |`),
  ];
}

/** The Markdown of docs/configuration.md. */
export function renderConfigReference(defs: readonly AnyDefinition[] = services): string {
  const all = collect(defs);

  // Common variables, in declaration order; a default that differs between services is listed per service.
  const commonNames: string[] = [];
  const commonRows = new Map<string, { row: Row; defaults: Map<string, string> }>();
  for (const s of all) {
    for (const r of s.common) {
      let entry = commonRows.get(r.name);
      if (!entry) {
        entry = { row: r, defaults: new Map() };
        commonRows.set(r.name, entry);
        commonNames.push(r.name);
      }
      entry.defaults.set(s.def.name, r.shownDefault);
    }
  }
  const differing = (name: string) => new Set(commonRows.get(name)?.defaults.values()).size > 1;

  const lines: string[] = [
    "<!-- Generated by scripts/config-reference.ts from the services' config schemas. Do not edit by hand. -->",
    '',
    '# Configuration reference',
    '',
    'Generated from the config schemas of the services (`serviceConfigSpec` of each service definition),',
    'so it lists exactly what the services read. Regenerate it after changing a variable, with Node 24:',
    '',
    '```sh',
    'node scripts/config-reference.ts          # rewrites docs/configuration.md',
    'node scripts/config-reference.ts --check  # exits 1 if docs/configuration.md is stale',
    '```',
    '',
    '`test/docs/config-reference.test.ts` fails when this file is stale.',
    '',
    'Every variable is read from the environment, or from the YAML or JSON file named by',
    `\`${CONFIG_FILE_VAR}\` (the environment wins); an empty variable counts as unset. A bad value stops the`,
    'service at start with one line naming the variable; `node services/<name>/src/main.ts --help`',
    "lists a service's variables too.",
    '',
    'In the tables: 🔒 marks a secret (never logged or shown in errors); *unset* means the variable has',
    'no default and may be left out; **required** means the service does not start without it.',
    'Durations take `ms`, `s`, `m`, `h` (a bare number is milliseconds); sizes take `KiB`, `MiB`, `GiB`.',
    '',
    '## Services',
    '',
    '| service | health/metrics port | own variables |',
    '|---|---|---|',
    ...all.map((s) => `| [${s.def.name}](#${anchor(s.def.name)}) | ${s.def.httpPort} | ${s.own.length} |`),
    '',
    '## Common',
    '',
    'Every service reads these.',
    '',
    ...table(
      commonNames.map((name) => {
        const entry = commonRows.get(name)!;
        const users = entry.defaults.size;
        let def = entry.row.shownDefault;
        if (differing(name)) {
          def = [...entry.defaults].map(([svc, d]) => `${text(svc)}: ${d}`).join('<br>');
        }
        const onlySome = users < all.length ? ` (${[...entry.defaults.keys()].map(text).join(', ')} only)` : '';
        return {
          variable: variableCell(entry.row),
          default: def,
          description: descriptionCell(entry.row) + onlySome,
        };
      }),
    ),
  ];

  for (const s of all) {
    lines.push('', `## ${s.def.name}`, '');
    const dir = `services/${s.def.name}`;
    lines.push(`Runs as \`node ${dir}/src/main.ts\`.`);
    const ownDefaults = s.common.filter((r) => differing(r.name));
    if (ownDefaults.length > 0) {
      lines.push(
        '',
        `Common variables with a default of its own here: ${ownDefaults.map((r) => `${code(r.name)} = ${r.shownDefault}`).join(', ')}.`,
      );
    }
    const commonNameSet = new Set(commonNames);
    lines.push('');
    if (s.own.length === 0) {
      lines.push('No variables of its own.');
      continue;
    }
    lines.push(
      ...table(
        s.own.map((r) => ({
          variable: variableCell(r),
          default: r.shownDefault,
          description: descriptionCell(r) + (commonNameSet.has(r.name) ? ' (replaces the common variable)' : ''),
        })),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub's heading anchor for a plain heading. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function main(args: readonly string[]): number {
  const check = args.includes('--check');
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: node scripts/config-reference.ts [--check]\n`);
    return 2;
  }
  const rel = relative(process.cwd(), referencePath);
  const shown = rel === '' || rel.startsWith('..') ? referencePath : rel;
  const rendered = renderConfigReference();
  const current = readIfExists(referencePath);
  for (const v of undescribedVariables()) process.stderr.write(`warning: no description: ${v}\n`);
  if (check) {
    if (current === rendered) {
      process.stdout.write(`${shown} is up to date\n`);
      return 0;
    }
    process.stderr.write(`${shown} is ${current === undefined ? 'missing' : 'stale'}: run node scripts/config-reference.ts\n`);
    return 1;
  }
  if (current === rendered) {
    process.stdout.write(`${shown} is up to date\n`);
    return 0;
  }
  mkdirSync(dirname(referencePath), { recursive: true });
  writeFileSync(referencePath, rendered);
  process.stdout.write(`wrote ${shown}\n`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
