// Errors a caller can act on: what failed, where (registry, repository), and the registry's own
// error codes, so "not found" and "denied" can be told apart without reading messages.
import { isObject } from '@assay/kit';

/** One entry of the Distribution error body `{"errors":[{code,message,detail}]}`. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface RegistryErrorInit {
  registry: string;
  repository?: string;
  status?: number;
  method?: string;
  url?: string;
  errors?: RegistryErrorDetail[];
  /** True when the request ran out of time rather than being answered. */
  timedOut?: boolean;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly registry: string;
  readonly repository: string | undefined;
  readonly status: number | undefined;
  readonly errors: RegistryErrorDetail[];
  readonly timedOut: boolean;

  constructor(summary: string, init: RegistryErrorInit) {
    const parts = [`registry ${init.registry}`];
    if (init.repository) parts.push(`repository ${init.repository}`);
    if (init.method && init.url) parts.push(`${init.method} ${pathOf(init.url)}`);
    const codes = (init.errors ?? []).map((e) => (e.message ? `${e.code} (${e.message})` : e.code));
    const tail = [init.status !== undefined ? `HTTP ${init.status}` : '', ...codes].filter(Boolean).join(' ');
    super(`${parts.join(', ')}: ${summary}${tail ? `: ${tail}` : ''}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = 'RegistryError';
    this.registry = init.registry;
    this.repository = init.repository;
    this.status = init.status;
    this.errors = init.errors ?? [];
    this.timedOut = init.timedOut ?? false;
  }

  /** The registry's error codes, e.g. `['MANIFEST_UNKNOWN']`. */
  get codes(): string[] {
    return this.errors.map((e) => e.code);
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/**
 * Whether `err` (or an error it wraps) is the registry answering 404: the manifest, blob or
 * repository is not there. Often an expected answer (deleted since a notification, never
 * pushed) rather than a fault, so callers log it as such.
 */
export function isRegistryNotFound(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RegistryError && e.status === 404) return true;
  }
  return false;
}

/** Content whose digest (or size) is not what was asked for: never to be trusted or cached. */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string | undefined;
  constructor(message: string, expected: string, actual?: string) {
    super(message);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/** Parses a Distribution error body; anything else gives no details (the status still tells). */
export function parseErrorBody(body: string): RegistryErrorDetail[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((e): e is { code: unknown; message?: unknown; detail?: unknown } => isObject(e) && 'code' in e)
      .map((e) => ({
        code: String(e.code),
        ...(typeof e.message === 'string' ? { message: e.message } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      }));
  } catch {
    return [];
  }
}
