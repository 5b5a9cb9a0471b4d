// A versioned document (a policy, a runtime policy) as the values of an HTML form and back, with
// no server: FormWriter gives the values a browser would submit for the unchanged form,
// FormReader reads a submitted form (recording an error on each field it cannot read: a number,
// a YAML block, a line). The schema itself is checked where the document is written (the store);
// `fieldErrorsFromIssues` puts its errors next to the fields.
//
// Saving an unchanged form must change nothing, so the form says everything the document says:
// a value the fields cannot tell from "absent" (an empty list, an empty object, `false` where
// false is the default) is named in the hidden `_kept` field and written back as it was.
import { parse, stringify } from 'yaml';

/** A form as a browser submits it: each field's value, or values when it repeats. */
export type FormValues = Record<string, string | string[]>;

/** Field errors by field name. */
export type FieldErrorMap = Map<string, string>;

/** What a submitted form gave: the document, or the errors of the fields that could not be read. */
export interface FromForm<T> {
  document: T | undefined;
  errors: FieldErrorMap;
}

/**
 * How a field holds its value, which says how an error beneath it is shown: `lines` one entry a
 * line, `pairs` `key=value` lines, `yaml` a YAML block, `value` anything else.
 */
export type FieldKind = 'value' | 'lines' | 'pairs' | 'yaml';

/** The hidden field naming the paths whose empty (or default) value the document holds. */
export const KEPT_FIELD = '_kept';

/** The switch saying whether a control is checked at all (`check.malware`). */
export const checkField = (control: string) => `check.${control}`;

/** Dates (an allow-list entry's expiry) written and read as YAML timestamps, so they stay dates. */
const yamlOptions = () => ({ customTags: ['timestamp' as const] });

const isEmptyObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/** Builds form values; `keep` records a value the fields alone would lose. */
export class FormWriter {
  readonly values: FormValues = {};
  readonly #kept: string[] = [];

  keep(name: string): void {
    this.#kept.push(name);
  }
  text(name: string, v: string | number | undefined): void {
    if (v === undefined) return;
    this.values[name] = String(v);
    if (v === '') this.keep(name);
  }
  switch(name: string, on: boolean): void {
    if (on) this.values[name] = 'on';
  }
  /** An optional boolean: shown as its default when absent; an explicit default is kept. */
  optionalSwitch(name: string, v: boolean | undefined, byDefault: boolean): void {
    this.switch(name, v ?? byDefault);
    if (v === byDefault) this.keep(name);
  }
  lines(name: string, v: readonly string[] | undefined): void {
    if (v === undefined) return;
    this.values[name] = v.join('\n');
    if (v.length === 0) this.keep(name);
  }
  pairs(name: string, v: Readonly<Record<string, string>> | undefined): void {
    if (v === undefined) return;
    this.lines(
      name,
      Object.entries(v).map(([k, x]) => `${k}=${x}`),
    );
  }
  yaml(name: string, v: unknown): void {
    if (v !== undefined) this.values[name] = stringify(v, { ...yamlOptions(), lineWidth: 0 });
  }
  /** An optional object the form shows only through its fields: kept when it is empty. */
  object(name: string, v: object | undefined): void {
    if (isEmptyObject(v)) this.keep(name);
  }
  /** Several values of one field (checkboxes), in order. */
  many(name: string, v: readonly string[]): void {
    this.values[name] = [...v];
  }
  done(): FormValues {
    if (this.#kept.length > 0) this.values[KEPT_FIELD] = [...this.#kept];
    return this.values;
  }
}

/** Reads a submitted form; every read that fails records an error on its field and gives undefined. */
export class FormReader {
  readonly errors: FieldErrorMap = new Map();
  readonly #form: FormValues;
  readonly #kept: Set<string>;

  constructor(form: FormValues) {
    this.#form = form;
    this.#kept = new Set(this.all(KEPT_FIELD));
  }

  all(name: string): string[] {
    const v = this.#form[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }
  /** The field's text with browser line endings made `\n` (undefined when not sent). */
  raw(name: string): string | undefined {
    const v = this.all(name)[0];
    return v === undefined ? undefined : v.replace(/\r\n?/g, '\n');
  }
  kept(name: string): boolean {
    return this.#kept.has(name);
  }
  fail(name: string, message: string): undefined {
    if (!this.errors.has(name)) this.errors.set(name, message);
    return undefined;
  }
  /** A one-line text, trimmed; '' for a required one left empty (the schema names it). */
  text(name: string): string {
    return (this.raw(name) ?? '').trim();
  }
  /** An optional text: absent when empty, unless the document held ''. */
  optionalText(name: string, trim = true): string | undefined {
    const v = this.raw(name) ?? '';
    const t = trim ? v.trim() : v;
    return t === '' && !this.kept(name) ? undefined : t;
  }
  on(name: string): boolean {
    return this.all(name).includes('on');
  }
  optionalSwitch(name: string, byDefault: boolean): boolean | undefined {
    const v = this.on(name);
    return v === byDefault && !this.kept(name) ? undefined : v;
  }
  /** A number; absent when empty. Range and integer checks are the schema's. */
  number(name: string): number | undefined {
    const s = this.text(name);
    if (s === '') return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? n : this.fail(name, `expected a number, got ${JSON.stringify(s.slice(0, 40))}`);
  }
  /** Non-empty lines, trimmed. */
  lineList(name: string): string[] {
    return (this.raw(name) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }
  /** An optional list, one entry a line: absent when empty, unless the document held []. */
  lines(name: string): string[] | undefined {
    const l = this.lineList(name);
    return l.length === 0 && !this.kept(name) ? undefined : l;
  }
  /** Lines, each read by `parse` (which says why a line is not readable). */
  parsedLines<T>(name: string, parse: (line: string) => T | string): T[] | undefined {
    const out: T[] = [];
    for (const [i, line] of this.lineList(name).entries()) {
      const v = parse(line);
      if (typeof v === 'string') return this.fail(name, `line ${i + 1}: ${v}`);
      out.push(v);
    }
    return out.length === 0 && !this.kept(name) ? undefined : out;
  }
  /** `key=value` lines (the value may be empty when `emptyValues`); absent when none, unless the document held {}. */
  pairs(name: string, emptyValues = false): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const [i, line] of this.lineList(name).entries()) {
      const eq = line.indexOf('=');
      const k = eq < 0 ? '' : line.slice(0, eq).trim();
      const v = eq < 0 ? '' : line.slice(eq + 1).trim();
      if (k === '' || (v === '' && !emptyValues)) return this.fail(name, `line ${i + 1}: write key=value`);
      out[k] = v;
    }
    return Object.keys(out).length === 0 && !this.kept(name) ? undefined : out;
  }
  /** A YAML block; absent when empty. */
  yaml(name: string): unknown {
    const s = this.raw(name) ?? '';
    if (s.trim() === '') return undefined;
    try {
      return parse(s, yamlOptions()) as unknown;
    } catch (err) {
      return this.fail(name, `not valid YAML: ${String((err as Error).message).split('\n')[0]}`);
    }
  }
  /** An optional object built from fields: absent when it has none, unless the document held {}. */
  object<T extends object>(name: string, v: T): T | undefined {
    return isEmptyObject(compact(v)) && !this.kept(name) ? undefined : compact(v);
  }
}

/** The object without its undefined fields (a document holds none). */
export function compact<T extends object>(v: T): T {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as T;
}

/**
 * The schema's issues (paths from the document's root, `policy.controls.vulnerabilities.maxCvss`)
 * as errors of the form's fields: the deepest field holding the path, its message saying which
 * line or key when the field holds several (`line 2 (versions): …`). Issues under no field are
 * kept under their path (the form lists them above itself).
 */
export function fieldErrorsFromIssues(
  issues: ReadonlyArray<{ path: string; message: string }>,
  root: string,
  fields: Readonly<Record<string, FieldKind>>,
): FieldErrorMap {
  const out: FieldErrorMap = new Map();
  const names = Object.keys(fields).sort((a, b) => b.length - a.length);
  for (const issue of issues) {
    const path = issue.path === root ? '' : issue.path.startsWith(`${root}.`) ? issue.path.slice(root.length + 1) : issue.path;
    const field = names.find((n) => path === n || path.startsWith(`${n}.`) || path.startsWith(`${n}[`));
    let name = path || root;
    let message = issue.message;
    if (field) {
      name = field;
      const rest = path.slice(field.length);
      const line = /^\[(\d+)\]\.?(.*)$/.exec(rest);
      if (rest === '') message = issue.message;
      else if (line && fields[field] === 'lines')
        message = `line ${Number(line[1]) + 1}${line[2] ? ` (${line[2]})` : ''}: ${issue.message}`;
      else if (fields[field] === 'pairs') message = `${rest.replace(/^\.|^\["|"\]$/g, '')}: ${issue.message}`;
      else message = `${rest.replace(/^\./, '')}: ${issue.message}`;
    } else if (/^controls\.\w+$/.test(path) && fields[checkField(path.slice('controls.'.length))]) {
      name = checkField(path.slice('controls.'.length));
    }
    out.set(name, out.has(name) ? `${out.get(name)}; ${message}` : message);
  }
  return out;
}
