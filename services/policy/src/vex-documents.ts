// The VEX documents image assurance policies name (controls.vulnerabilities.vexDocuments), loaded
// for evaluation. Files are read under POLICY_VEX_DIR (a path leaving it, through `..` or a
// symbolic link, is refused); URLs are fetched with a size and time limit. Each document is kept
// in memory with a hash of its bytes, re-read when a policy naming it changes and every
// POLICY_VEX_REFRESH; a change re-evaluates the images of the policies naming it.
//
// A document that cannot be loaded suppresses nothing (its findings count, as without it), and
// says so in the log at each failed load, as Trivy and Grype refuse a bad --vex rather than
// guess. A document that fails after loading once keeps its last good copy (a VEX server's
// outage or a half-written file must not turn every suppressed finding back on), and the log
// says it is stale.
import { createHash } from 'node:crypto';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ImageAssurancePolicy } from '@assay/domain';
import { MAX_VEX_DOCUMENT_BYTES, parseVexDocument, vexDocumentKey, type VexDocument, type VexDocumentRef } from '@assay/policy-engine';
import type { Logger } from '@assay/telemetry';

export interface VexDocumentsOptions {
  /** Where `file` documents are read; without it a policy's files are refused (logged). */
  dir?: string | undefined;
  /** How often every loaded document is read again. */
  refreshMs: number;
  /** Longest a URL fetch may take. */
  timeoutMs: number;
  logger: Logger;
  maxBytes?: number;
}

interface Entry {
  document?: VexDocument;
  /** Hash of the bytes the document was parsed from: a refresh that reads the same bytes changes nothing. */
  hash?: string;
  /** Why the last load failed (the document, when there is one, is the last good copy). */
  error?: string;
  loading?: Promise<void>;
}

/** The documents a policy names. */
export function vexRefs(policy: ImageAssurancePolicy): VexDocumentRef[] {
  return policy.controls.vulnerabilities?.vexDocuments ?? [];
}

export class VexDocuments {
  readonly #o: VexDocumentsOptions & { maxBytes: number };
  readonly #entries = new Map<string, Entry>();
  readonly #refs = new Map<string, VexDocumentRef>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<unknown> | undefined;

  constructor(o: VexDocumentsOptions) {
    this.#o = { maxBytes: MAX_VEX_DOCUMENT_BYTES, ...o };
  }

  /** The loaded documents of `policies` by vexDocumentKey, loading those not read yet. */
  async forPolicies(policies: readonly ImageAssurancePolicy[]): Promise<Map<string, VexDocument>> {
    const refs = new Map<string, VexDocumentRef>();
    for (const p of policies) for (const r of vexRefs(p)) refs.set(vexDocumentKey(r), r);
    await Promise.all(
      [...refs].map(([key, ref]) => {
        const e = this.#entries.get(key);
        return e && (e.document || e.error) && !e.loading ? undefined : this.#load(key, ref);
      }),
    );
    const out = new Map<string, VexDocument>();
    for (const key of refs.keys()) {
      const d = this.#entries.get(key)?.document;
      if (d) out.set(key, d);
    }
    return out;
  }

  /** Identity of what the named documents hold now (for the engine's snapshot key). */
  fingerprint(keys: Iterable<string>): string[] {
    return [...new Set(keys)].sort().map((k) => `${k}=${this.#entries.get(k)?.hash ?? '-'}`);
  }

  /** Why each document that failed its last load failed. */
  errors(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, e] of this.#entries) if (e.error) out.set(k, e.error);
    return out;
  }

  /** Reads `refs` again now (a policy naming them changed); the keys whose content changed. */
  async reload(refs: readonly VexDocumentRef[]): Promise<string[]> {
    const changed: string[] = [];
    await Promise.all(
      refs.map(async (ref) => {
        const key = vexDocumentKey(ref);
        const before = this.#entries.get(key)?.hash;
        await this.#load(key, ref);
        if (this.#entries.get(key)?.hash !== before) changed.push(key);
      }),
    );
    return changed;
  }

  /** Re-reads every document every refreshMs, calling `onChanged` with the keys whose content changed. */
  start(onChanged: (keys: string[]) => Promise<unknown>): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#refreshing) return;
      this.#refreshing = this.reload([...this.#refs.values()])
        .then((keys) => (keys.length > 0 ? onChanged(keys) : undefined))
        .catch((err: unknown) => this.#o.logger.error({ err }, 'VEX document refresh failed'))
        .finally(() => (this.#refreshing = undefined));
    }, this.#o.refreshMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#refreshing;
  }

  #load(key: string, ref: VexDocumentRef): Promise<void> {
    const entry = this.#entries.get(key) ?? {};
    this.#entries.set(key, entry);
    this.#refs.set(key, ref);
    if (entry.loading) return entry.loading;
    entry.loading = (async () => {
      try {
        const text = 'file' in ref ? await this.#readFile(ref.file) : await this.#fetch(ref.url);
        const hash = createHash('sha256').update(text).digest('hex');
        if (hash !== entry.hash || entry.error) {
          entry.document = parseVexDocument(text, key);
          entry.hash = hash;
          if (entry.error) this.#o.logger.info({ document: key }, 'VEX document loaded again');
          delete entry.error;
        }
      } catch (err) {
        const reason = (err as Error).message;
        const stale = entry.document !== undefined;
        if (entry.error !== reason) {
          this.#o.logger.warn(
            { document: key, reason, stale },
            stale
              ? 'VEX document could not be loaded; its last good copy is used'
              : 'VEX document could not be loaded; it suppresses no finding until it can be',
          );
        }
        entry.error = reason;
      } finally {
        delete entry.loading;
      }
    })();
    return entry.loading;
  }

  async #readFile(file: string): Promise<string> {
    const where = `file:${file}`;
    if (!this.#o.dir) throw new Error(`${where}: no POLICY_VEX_DIR is set to read VEX files from`);
    const root = await realpath(this.#o.dir);
    const path = await realpath(resolve(root, file)).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`${where}: ${err.code === 'ENOENT' ? 'no such file' : err.message} under POLICY_VEX_DIR`);
    });
    const rel = relative(root, path);
    if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`${where}: outside POLICY_VEX_DIR`);
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > this.#o.maxBytes) throw new Error(`${where}: larger than ${this.#o.maxBytes} bytes`);
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  async #fetch(url: string): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.#o.timeoutMs), headers: { accept: 'application/json' } }).catch(
      (err: Error) => {
        throw new Error(`${url}: ${err.name === 'TimeoutError' ? `no answer within ${this.#o.timeoutMs} ms` : err.message}`);
      },
    );
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`${url}: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > this.#o.maxBytes) {
      await res.body?.cancel();
      throw new Error(`${url}: larger than ${this.#o.maxBytes} bytes`);
    }
    // Counted as it arrives: a server may send more than it declared, or declare nothing.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body ?? []) {
      total += chunk.byteLength;
      if (total > this.#o.maxBytes) throw new Error(`${url}: larger than ${this.#o.maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
