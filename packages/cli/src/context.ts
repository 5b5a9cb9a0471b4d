// Where the commands that talk to a running system find it when no flag says: a context file
// (`--context <file>` or ASSAY_CONTEXT, like a kubeconfig), else the `.assay/local-stack.json`
// that `npm start` writes (found by walking up from the working directory, or in
// ASSAY_STATE_DIR), else nothing. With `npm start` running, `assay policy list` needs no flags.
// A command's own flags always win; a token or password of the context goes only to the
// context's own URL, so `--api https://elsewhere` never receives the local token.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isObject } from '@assay/kit';
import { CliError } from './io.ts';

/** What a command may learn about a running system. */
export interface AssayContext {
  /** The file it came from, for messages ("from <file>"). */
  source: string;
  policyApi?: { url: string; token: string };
  scannerUrl?: string;
  /** The admission webhook; `ca` is the path of the CA certificate (PEM) its TLS chains to. */
  webhook?: { url: string; ca?: string };
  nats?: { url: string; user?: string; password?: string };
}

/** Where the context is read from besides the flags; the process's own when not given. */
export interface ContextEnv {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/** The command-line value every context-aware command takes. */
export const CONTEXT_OPTION = { context: { type: 'string' } } as const;

export const CONTEXT_HELP = `  --context <file>         a context file (YAML or JSON: policyApi, scanner, webhook, nats);
                           default ASSAY_CONTEXT, else the .assay/local-stack.json of \`npm start\``;

// A context or state file is small; anything larger is not one.
const MAX_FILE_BYTES = 1 << 20;
const STATE_FILE = join('.assay', 'local-stack.json');

/**
 * The context of `values.context`, ASSAY_CONTEXT or the local stack's state file, in that order;
 * `{}` when there is none. A named file that is missing or malformed is a CliError naming it.
 */
export async function resolveContext(values: { context?: string | undefined }, io: ContextEnv = {}): Promise<Partial<AssayContext>> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const named = values.context ?? (env.ASSAY_CONTEXT ? env.ASSAY_CONTEXT : undefined);
  if (named !== undefined) {
    const path = resolve(cwd, named);
    const doc = await readDoc(path, values.context !== undefined ? '--context' : 'ASSAY_CONTEXT');
    return contextFromFile(doc, path);
  }
  const state = await findStateFile(cwd, env.ASSAY_STATE_DIR);
  if (state === undefined) return {};
  return stateContext(await readDoc(state, 'the local stack state'), state);
}

/** `<ASSAY_STATE_DIR>/local-stack.json`, or the first `.assay/local-stack.json` from cwd upwards. */
async function findStateFile(cwd: string, stateDir: string | undefined): Promise<string | undefined> {
  if (stateDir) {
    const p = join(resolve(cwd, stateDir), 'local-stack.json');
    return (await isFile(p)) ? p : undefined;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const p = join(dir, STATE_FILE);
    if (await isFile(p)) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() === true;
}

async function readDoc(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CliError(`${what} ${path}: not a file`);
    if (s.size > MAX_FILE_BYTES) throw new CliError(`${what} ${path}: larger than ${MAX_FILE_BYTES} bytes; not a context file`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as { code?: string }).code;
    throw new CliError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new CliError(`${path}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new CliError(`${path}: expected a mapping (policyApi, scanner, webhook, nats)`);
  return doc;
}

/** Reads fields of one file, each error naming the file and the field's path. */
class Fields {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  fail(field: string, why: string): never {
    throw new CliError(`${this.path}: ${field}: ${why}`);
  }
  section(doc: Record<string, unknown>, key: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    const v = doc[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(key, 'expected a mapping');
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(`${key}.${k}`, `unknown field (known: ${allowed.join(', ')})`);
    return v;
  }
  string(o: Record<string, unknown>, field: string, key: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(`${field}.${key}`, 'expected a non-empty string');
    return v;
  }
  url(o: Record<string, unknown>, field: string, protocols: readonly string[]): string | undefined {
    const v = this.string(o, field, 'url');
    if (v === undefined) return undefined;
    // NATS takes a comma-separated list; each must be a URL.
    for (const one of v.split(',')) {
      let u: URL;
      try {
        u = new URL(one.trim());
      } catch {
        this.fail(`${field}.url`, `${JSON.stringify(one)} is not a URL`);
      }
      if (!protocols.includes(u.protocol)) this.fail(`${field}.url`, `${JSON.stringify(one)} is not a ${protocols.join(' or ')} URL`);
    }
    return v.replace(/\/+$/, '');
  }
}

const HTTP = ['http:', 'https:'];

/**
 * A context file: `policyApi: {url, token | tokenFile}`, `scanner: {url}`, `webhook: {url, ca}`,
 * `nats: {url, user, password | passwordFile}`. Relative paths are relative to the file.
 */
async function contextFromFile(doc: Record<string, unknown>, path: string): Promise<Partial<AssayContext>> {
  const f = new Fields(path);
  const known = ['apiVersion', 'kind', 'policyApi', 'scanner', 'webhook', 'nats'];
  for (const k of Object.keys(doc)) if (!known.includes(k)) f.fail(k, `unknown field (known: ${known.join(', ')})`);
  const secret = async (o: Record<string, unknown>, field: string, inline: string, file: string): Promise<string | undefined> => {
    const value = f.string(o, field, inline);
    const from = f.string(o, field, file);
    if (value !== undefined && from !== undefined) f.fail(field, `give ${inline} or ${file}, not both`);
    if (from === undefined) return value;
    const p = resolve(dirname(path), from);
    try {
      // A trailing newline is how editors leave the file, never part of the secret.
      return (await readFile(p, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      f.fail(`${field}.${file}`, `${p}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  };
  const ctx: Partial<AssayContext> = { source: path };
  const api = f.section(doc, 'policyApi', ['url', 'token', 'tokenFile']);
  if (api) {
    const url = f.url(api, 'policyApi', HTTP) ?? f.fail('policyApi.url', 'required');
    const token = (await secret(api, 'policyApi', 'token', 'tokenFile')) ?? f.fail('policyApi', 'token or tokenFile is required');
    ctx.policyApi = { url, token };
  }
  const scanner = f.section(doc, 'scanner', ['url']);
  if (scanner) ctx.scannerUrl = f.url(scanner, 'scanner', HTTP) ?? f.fail('scanner.url', 'required');
  const webhook = f.section(doc, 'webhook', ['url', 'ca']);
  if (webhook) {
    const url = f.url(webhook, 'webhook', ['https:']) ?? f.fail('webhook.url', 'required');
    const ca = f.string(webhook, 'webhook', 'ca');
    ctx.webhook = { url, ...(ca !== undefined ? { ca: resolve(dirname(path), ca) } : {}) };
  }
  const nats = f.section(doc, 'nats', ['url', 'user', 'password', 'passwordFile']);
  if (nats) {
    const url = f.url(nats, 'nats', ['nats:', 'tls:', 'ws:', 'wss:']) ?? f.fail('nats.url', 'required');
    const user = f.string(nats, 'nats', 'user');
    const password = await secret(nats, 'nats', 'password', 'passwordFile');
    if (password !== undefined && user === undefined) f.fail('nats.user', 'required with a password');
    ctx.nats = { url, ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
  }
  return ctx;
}

/**
 * The local stack's state file (scripts/local-stack/state-file.ts): the policy API and its
 * token, the scanner's health server (its /reports routes), the webhook and CA, NATS as the
 * demo user (who may read the buckets). A field it lacks (a service not up yet) stays unset.
 */
function stateContext(doc: Record<string, unknown>, path: string): Partial<AssayContext> {
  const f = new Fields(path);
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const ctx: Partial<AssayContext> = { source: path };
  // A stack killed outright leaves its file behind: a dead launcher's URLs lead nowhere.
  if (typeof doc.pid === 'number' && !alive(doc.pid)) return ctx;
  if (isObject(doc.policyApi)) {
    const url = str(doc.policyApi.url);
    const token = str(doc.policyApi.token);
    if (url && token) ctx.policyApi = { url: url.replace(/\/+$/, ''), token };
  }
  if (Array.isArray(doc.services)) {
    const scanner = doc.services.find((s): s is Record<string, unknown> => isObject(s) && s.name === 'scanner');
    const url = str(scanner?.url);
    if (url) ctx.scannerUrl = url.replace(/\/+$/, '');
  }
  if (isObject(doc.webhook)) {
    const url = str(doc.webhook.url);
    const ca = str(doc.webhook.caCert);
    if (url) ctx.webhook = { url, ...(ca ? { ca } : {}) };
  }
  if (isObject(doc.nats)) {
    const url = str(doc.nats.url) ?? f.fail('nats.url', 'missing');
    const demo = isObject(doc.nats.demo) ? doc.nats.demo : undefined;
    const user = str(demo?.user);
    const password = str(demo?.password);
    ctx.nats = { url, ...(user && password ? { user, password } : {}) };
  }
  return ctx;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** What to add to "--x is required": where a context would have come from. */
export function contextHint(ctx: Partial<AssayContext>): string {
  return ctx.source
    ? ` (${ctx.source} names none)`
    : ' (or run `npm start`, whose .assay/local-stack.json is then found, or set ASSAY_CONTEXT to a context file)';
}

/** Whether two base URLs are the same service (a secret of the context goes only there). */
export function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
