// Elasticsearch HTTP stand-in for tests (never shipped). It follows the real server's documented
// behaviour for what Assay uses: product header and version on `GET /`, index templates, ILM
// policies, data streams (created explicitly or on first write into a name a data-stream template
// matches), `_bulk` with per-item results (create conflicts are 409 version_conflict_engine_exception;
// documents are checked against the mapping's long/integer/date/boolean/ip/keyword/object types),
// `_count`, `_search` (match_all, term, terms, size, sort), `_refresh` and `_cluster/health`.
//
// Faults for the delivery tests: the next N requests answer 429 or 5xx, given document ids fail
// per item, slow responses, dropped connections (socket destroyed), `down(ms)` (connections
// refused for a while), and stop/start on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface StandinOptions {
  /** Port to listen on; 0 (default) picks a free loopback port, kept across stop/start. */
  port?: number;
  /** Version number reported on `GET /`. Default 9.1.0. */
  version?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Require authentication: an API key (`Authorization: ApiKey <key>`) and/or a user. */
  auth?: { apiKey?: string; username?: string; password?: string };
}

export interface ItemFault {
  status: number;
  type: string;
  reason: string;
  /** How many times this id fails before it succeeds; Infinity for always. Default Infinity. */
  times?: number;
}

interface Doc {
  _id: string;
  _index: string;
  _source: Record<string, unknown>;
  _seq: number;
}

interface IndexState {
  name: string;
  /** Data stream: its backing index is `_index` of its documents. */
  dataStream: boolean;
  backingIndex: string;
  mappings: Record<string, unknown>;
  /** Flattened field path → type. */
  fields: Map<string, string>;
  dynamic: string;
  docs: Map<string, Doc>;
  template?: string;
}

type Json = Record<string, unknown>;

const PRODUCT_HEADERS = {
  'X-Elastic-Product': 'Elasticsearch',
  'content-type': 'application/json; charset=UTF-8',
} as const;

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** Flattens `properties` (objects and multi-fields) into path → type. */
export function flattenMapping(mappings: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (props: unknown, prefix: string) => {
    if (!props || typeof props !== 'object') return;
    for (const [name, def] of Object.entries(props as Record<string, Json>)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const type = typeof def.type === 'string' ? def.type : def.properties ? 'object' : 'object';
      out.set(path, type);
      if (def.properties) walk(def.properties, path);
      if (def.fields && typeof def.fields === 'object') {
        for (const [sub, sdef] of Object.entries(def.fields as Record<string, Json>)) {
          out.set(`${path}.${sub}`, typeof sdef.type === 'string' ? sdef.type : 'keyword');
        }
      }
    }
  };
  walk(mappings?.properties, '');
  return out;
}

class MappingError extends Error {
  type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const INTEGER_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const NUMBER_TYPES = new Set([...INTEGER_TYPES, 'double', 'float', 'half_float', 'scaled_float']);

function checkValue(path: string, type: string, value: unknown): void {
  if (value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) checkValue(path, type, v);
    return;
  }
  const bad = (why: string) => {
    throw new MappingError(
      'mapper_parsing_exception',
      `failed to parse field [${path}] of type [${type}] in document. Preview of field's value: '${String(value)}'${why ? `: ${why}` : ''}`,
    );
  };
  if (type === 'object' || type === 'nested' || type === 'flattened') {
    if (typeof value !== 'object' && type !== 'flattened') {
      throw new MappingError(
        'document_parsing_exception',
        `object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`,
      );
    }
    return;
  }
  if (typeof value === 'object') return bad('cannot parse an object as a concrete value');
  if (NUMBER_TYPES.has(type)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n)) bad(`For input string: "${String(value)}"`);
    if (INTEGER_TYPES.has(type) && !Number.isInteger(n)) bad('not an integer');
  } else if (type === 'date' || type === 'date_nanos') {
    if (typeof value === 'number') return;
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) bad('failed to parse date field');
  } else if (type === 'boolean') {
    if (!(value === true || value === false || value === 'true' || value === 'false' || value === ''))
      bad('Failed to parse value, only [true] or [false] are allowed');
  } else if (type === 'ip') {
    if (typeof value !== 'string' || !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(value))
      bad(`'${String(value)}' is not an IP string literal.`);
  }
}

function validate(index: IndexState, source: Json): void {
  const walk = (obj: Json, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const type = index.fields.get(path);
      if (type === undefined) {
        if (index.dynamic === 'strict') {
          throw new MappingError(
            'strict_dynamic_mapping_exception',
            `[${path}] dynamic introduction of [${k}] within [_doc] is not allowed`,
          );
        }
        if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Json, path);
        continue;
      }
      checkValue(path, type, v);
      if ((type === 'object' || type === 'nested') && v && typeof v === 'object') {
        for (const item of Array.isArray(v) ? v : [v]) if (item && typeof item === 'object') walk(item as Json, path);
      }
    }
  };
  walk(source, '');
}

/** Value at a dotted path (also through arrays). */
function valuesAt(source: unknown, path: string): unknown[] {
  let cur: unknown[] = [source];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (Array.isArray(c)) {
        for (const x of c) if (x && typeof x === 'object' && part in (x as Json)) next.push((x as Json)[part]);
      } else if (c && typeof c === 'object' && part in (c as Json)) next.push((c as Json)[part]);
    }
    cur = next;
  }
  return cur.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function matches(doc: Doc, query: Json | undefined): boolean {
  if (!query || 'match_all' in query) return true;
  const fieldValue = (field: string) => (field === '_id' ? [doc._id] : valuesAt(doc._source, field.replace(/\.keyword$/, '')));
  if (query.term && typeof query.term === 'object') {
    const [[field, spec]] = Object.entries(query.term as Json) as [[string, unknown]];
    const want = spec && typeof spec === 'object' ? (spec as Json).value : spec;
    return fieldValue(field).some((v) => v === want || String(v) === String(want));
  }
  if (query.terms && typeof query.terms === 'object') {
    const [[field, list]] = Object.entries(query.terms as Json) as [[string, unknown[]]];
    const wanted = new Set(list.map(String));
    return fieldValue(field).some((v) => wanted.has(String(v)));
  }
  if (query.ids && typeof query.ids === 'object') {
    return ((query.ids as Json).values as string[]).includes(doc._id);
  }
  if (query.bool && typeof query.bool === 'object') {
    const b = query.bool as Json;
    const all = (xs: unknown) => (Array.isArray(xs) ? xs : xs ? [xs] : []) as Json[];
    return (
      all(b.must).every((q) => matches(doc, q)) &&
      all(b.filter).every((q) => matches(doc, q)) &&
      !all(b.must_not).some((q) => matches(doc, q))
    );
  }
  throw new Error(`unsupported query: ${JSON.stringify(query)}`);
}

export class ElasticsearchStandin {
  readonly version: string;
  #port: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly templates = new Map<string, Json>();
  readonly policies = new Map<string, Json>();
  readonly indices = new Map<string, IndexState>();
  #seq = 0;
  // Faults.
  #failNext: { count: number; status: number; only: RegExp | undefined }[] = [];
  #dropNext = 0;
  #delayMs = 0;
  readonly #itemFaults = new Map<string, ItemFault & { remaining: number }>();
  #downUntil = 0;
  #downTimer: NodeJS.Timeout | undefined;
  /** Requests seen, by `METHOD path` (path without the query). */
  readonly requests: string[] = [];
  /** Bulk requests answered, and item operations in them. */
  bulkRequests = 0;
  bulkItems = 0;
  /** Successful writes (created or overwritten) per document id, across all indices: more than 1 is a duplicate delivery. */
  readonly writes = new Map<string, number>();
  /** Create operations refused with 409 because the id was already there. */
  conflicts = 0;

  readonly #tls: StandinOptions['tls'];
  readonly #auth: StandinOptions['auth'];
  /** `Authorization` scheme of each request (`ApiKey`, `Basic`, or `none`): never the secret. */
  readonly authSchemes: string[] = [];

  constructor(opts: StandinOptions = {}) {
    this.#port = opts.port ?? 0;
    this.version = opts.version ?? '9.1.0';
    this.#tls = opts.tls;
    this.#auth = opts.auth;
  }

  #authorized(header: string | undefined): boolean {
    this.authSchemes.push(header?.split(' ')[0] ?? 'none');
    const a = this.#auth;
    if (!a) return true;
    if (!header) return false;
    const [scheme, value = ''] = header.split(' ', 2) as [string, string?];
    if (scheme === 'ApiKey' && a.apiKey !== undefined) return value === a.apiKey;
    if (scheme === 'Basic' && a.username !== undefined)
      return Buffer.from(value, 'base64').toString('utf8') === `${a.username}:${a.password ?? ''}`;
    return false;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  async start(): Promise<void> {
    if (this.#server?.listening) return;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    const server: Server = this.#tls ? createHttpsServer({ key: this.#tls.key, cert: this.#tls.cert }, handler) : createServer(handler);
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
    this.#server = server;
  }

  /** Stops listening and drops every open connection; the state (documents, templates) is kept. */
  async stop(): Promise<void> {
    clearTimeout(this.#downTimer);
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await closed;
  }

  /** Unreachable for `ms`: connections are refused (and open ones dropped), then it listens again on the same port. */
  async down(ms: number): Promise<void> {
    this.#downUntil = Date.now() + ms;
    await this.stop();
    this.#downTimer = setTimeout(() => {
      void this.start().catch(() => {});
    }, ms);
  }

  /** Resolves when back up after `down`. */
  async waitUp(): Promise<void> {
    while (!this.listening) await new Promise((r) => setTimeout(r, 20));
  }

  get isDown(): boolean {
    return Date.now() < this.#downUntil;
  }

  /**
   * The next `count` requests (other than `GET /`) answer `status` (429, 500, 502, 503, 413…);
   * `only` limits the fault to requests whose `METHOD /path` matches (e.g. /_bulk$/).
   */
  failNext(count: number, status = 503, only?: RegExp): void {
    this.#failNext.push({ count, status, only });
  }

  /** The next `count` requests have their socket destroyed without an answer. */
  dropNext(count: number): void {
    this.#dropNext += count;
  }

  /** Every response is delayed by `ms` (0 to stop). */
  slow(ms: number): void {
    this.#delayMs = ms;
  }

  /** Bulk items with this `_id` fail with `fault` (`times` times; always by default). */
  failItem(id: string, fault: ItemFault): void {
    this.#itemFaults.set(id, { ...fault, remaining: fault.times ?? Infinity });
  }

  clearFaults(): void {
    this.#failNext = [];
    this.#dropNext = 0;
    this.#delayMs = 0;
    this.#itemFaults.clear();
  }

  /** Indices and data streams whose name matches `pattern` (comma list, wildcards). */
  resolve(pattern: string): IndexState[] {
    const parts = pattern.split(',').map((p) => globToRegExp(p.trim()));
    return [...this.indices.values()].filter((i) => parts.some((re) => re.test(i.name) || re.test(i.backingIndex)));
  }

  /** Ids of every document in the indices matching `pattern`, with repeats if any (there never should be). */
  ids(pattern: string): string[] {
    return this.resolve(pattern).flatMap((i) => [...i.docs.keys()]);
  }

  documents(pattern: string): Json[] {
    return this.resolve(pattern).flatMap((i) => [...i.docs.values()].map((d) => d._source));
  }

  async close(): Promise<void> {
    await this.stop();
  }

  // --- HTTP -----------------------------------------------------------------------------

  #send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { ...PRODUCT_HEADERS, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #error(res: ServerResponse, status: number, type: string, reason: string): void {
    this.#send(res, status, { error: { root_cause: [{ type, reason }], type, reason }, status });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(u.pathname).replace(/\/+$/, '') || '/';
    this.requests.push(`${method} ${path}`);
    if (!this.#authorized(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'ApiKey, Basic realm="security"');
      return this.#error(res, 401, 'security_exception', 'missing authentication credentials for REST request');
    }
    if (this.#dropNext > 0) {
      this.#dropNext--;
      req.socket.destroy();
      return;
    }
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
    const f = path === '/' ? undefined : this.#failNext.find((x) => !x.only || x.only.test(`${method} ${path}`));
    if (f) {
      if (--f.count <= 0) this.#failNext.splice(this.#failNext.indexOf(f), 1);
      if (f.status === 413) {
        return this.#error(res, 413, 'content_too_long_exception', 'request body is too large');
      }
      if (f.status === 429) {
        return this.#error(res, 429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation');
      }
      return this.#error(res, f.status, 'unavailable_shards_exception', `injected ${f.status}`);
    }
    try {
      this.#route(method, path, u.searchParams, raw, res);
    } catch (err) {
      this.#error(res, 400, 'parsing_exception', err instanceof Error ? err.message : String(err));
    }
  }

  #json(raw: string): Json {
    if (raw.trim() === '') return {};
    return JSON.parse(raw) as Json;
  }

  #route(method: string, path: string, params: URLSearchParams, raw: string, res: ServerResponse): void {
    const seg = path.split('/').filter(Boolean);
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      return this.#send(res, 200, {
        name: 'standin',
        cluster_name: 'assay-standin',
        cluster_uuid: 'standin-cluster-uuid',
        version: {
          number: this.version,
          build_flavor: 'default',
          build_type: 'tar',
          lucene_version: '10.2.2',
          minimum_wire_compatibility_version: '8.19.0',
          minimum_index_compatibility_version: '8.0.0',
        },
        tagline: 'You Know, for Search',
      });
    }
    if (path === '/_cluster/health' && method === 'GET') {
      return this.#send(res, 200, {
        cluster_name: 'assay-standin',
        status: 'green',
        timed_out: false,
        number_of_nodes: 1,
        number_of_data_nodes: 1,
        active_primary_shards: this.indices.size,
        active_shards: this.indices.size,
        unassigned_shards: 0,
      });
    }
    if (seg[0] === '_index_template' && seg[1]) {
      const name = seg[1];
      if (method === 'PUT' || method === 'POST') {
        this.templates.set(name, this.#json(raw));
        return this.#send(res, 200, { acknowledged: true });
      }
      if (method === 'GET') {
        const names = [...this.templates.keys()].filter((n) => globToRegExp(name).test(n));
        if (names.length === 0) return this.#error(res, 404, 'resource_not_found_exception', `index template matching [${name}] not found`);
        return this.#send(res, 200, { index_templates: names.map((n) => ({ name: n, index_template: this.templates.get(n) })) });
      }
      if (method === 'DELETE') {
        this.templates.delete(name);
        return this.#send(res, 200, { acknowledged: true });
      }
    }
    if (seg[0] === '_ilm' && seg[1] === 'policy' && seg[2]) {
      const name = seg[2];
      if (method === 'PUT') {
        const prev = this.policies.get(name) as { version: number } | undefined;
        const body = this.#json(raw);
        this.policies.set(name, { version: (prev?.version ?? 0) + 1, modified_date: new Date().toISOString(), policy: body.policy });
        return this.#send(res, 200, { acknowledged: true });
      }
      if (method === 'GET') {
        const p = this.policies.get(name);
        if (!p) return this.#error(res, 404, 'resource_not_found_exception', `Lifecycle policy not found: ${name}`);
        return this.#send(res, 200, { [name]: p });
      }
    }
    if (seg[0] === '_data_stream') {
      const name = seg[1] ?? '*';
      if (method === 'PUT' && seg[1]) {
        if (this.indices.has(name))
          return this.#error(res, 400, 'resource_already_exists_exception', `data_stream [${name}] already exists`);
        const t = this.#templateFor(name);
        if (!t || !t.body.data_stream) {
          return this.#error(res, 400, 'illegal_argument_exception', `no matching index template found for data stream [${name}]`);
        }
        this.#createIndex(name, t);
        return this.#send(res, 200, { acknowledged: true });
      }
      if (method === 'GET') {
        const ds = this.resolve(name).filter((i) => i.dataStream);
        if (ds.length === 0 && !name.includes('*')) return this.#error(res, 404, 'index_not_found_exception', `no such index [${name}]`);
        return this.#send(res, 200, {
          data_streams: ds.map((i) => ({
            name: i.name,
            timestamp_field: { name: '@timestamp' },
            indices: [{ index_name: i.backingIndex, index_uuid: i.backingIndex }],
            generation: 1,
            status: 'GREEN',
            template: i.template,
            ilm_policy: ((this.templates.get(i.template ?? '') as Json | undefined)?.template as Json | undefined)?.settings
              ? String((((this.templates.get(i.template ?? '') as Json).template as Json).settings as Json)['index.lifecycle.name'] ?? '')
              : undefined,
          })),
        });
      }
      if (method === 'DELETE' && seg[1]) {
        for (const i of this.resolve(name)) this.indices.delete(i.name);
        return this.#send(res, 200, { acknowledged: true });
      }
    }
    if (path === '/_bulk' && (method === 'POST' || method === 'PUT')) return this.#bulk(undefined, raw, params, res);
    if (seg.length === 2 && seg[1] === '_bulk' && (method === 'POST' || method === 'PUT')) return this.#bulk(seg[0], raw, params, res);
    if (seg.length === 2 && seg[1] === '_refresh') return this.#send(res, 200, { _shards: { total: 1, successful: 1, failed: 0 } });
    if (seg.length === 2 && seg[1] === '_count' && (method === 'GET' || method === 'POST')) {
      const found = this.#resolveOr404(seg[0]!, res);
      if (!found) return;
      const q = this.#json(raw).query as Json | undefined;
      const count = found.reduce((n, i) => n + [...i.docs.values()].filter((d) => matches(d, q)).length, 0);
      return this.#send(res, 200, { count, _shards: { total: found.length, successful: found.length, skipped: 0, failed: 0 } });
    }
    if (seg.length === 2 && seg[1] === '_search' && (method === 'GET' || method === 'POST')) {
      const found = this.#resolveOr404(seg[0]!, res);
      if (!found) return;
      return this.#search(found, this.#json(raw), params, res);
    }
    if (seg.length === 1 && method === 'GET' && !seg[0]!.startsWith('_')) {
      const found = this.#resolveOr404(seg[0]!, res);
      if (!found) return;
      return this.#send(
        res,
        200,
        Object.fromEntries(
          found.map((i) => [i.backingIndex, { aliases: {}, mappings: i.mappings, data_stream: i.dataStream ? i.name : undefined }]),
        ),
      );
    }
    if (seg.length === 2 && seg[1] === '_mapping' && method === 'GET') {
      const found = this.#resolveOr404(seg[0]!, res);
      if (!found) return;
      return this.#send(res, 200, Object.fromEntries(found.map((i) => [i.backingIndex, { mappings: i.mappings }])));
    }
    this.#error(res, 400, 'illegal_argument_exception', `stand-in: unsupported ${method} ${path}`);
  }

  #resolveOr404(pattern: string, res: ServerResponse): IndexState[] | undefined {
    const found = this.resolve(pattern);
    if (found.length === 0 && !pattern.includes('*')) {
      this.#error(res, 404, 'index_not_found_exception', `no such index [${pattern}]`);
      return undefined;
    }
    return found;
  }

  #templateFor(name: string): { name: string; body: Json } | undefined {
    let best: { name: string; body: Json; priority: number } | undefined;
    for (const [tname, body] of this.templates) {
      const patterns = (body.index_patterns ?? []) as string[] | string;
      const list = Array.isArray(patterns) ? patterns : [patterns];
      if (!list.some((p) => globToRegExp(p).test(name))) continue;
      const priority = Number(body.priority ?? 0);
      if (!best || priority > best.priority) best = { name: tname, body, priority };
    }
    return best;
  }

  #createIndex(name: string, t: { name: string; body: Json } | undefined): IndexState {
    const mappings = ((t?.body.template as Json | undefined)?.mappings ?? {}) as Json;
    const dataStream = !!t?.body.data_stream;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
    const state: IndexState = {
      name,
      dataStream,
      backingIndex: dataStream ? `.ds-${name}-${day}-000001` : name,
      mappings,
      fields: flattenMapping(mappings),
      dynamic: String(mappings.dynamic ?? 'true'),
      docs: new Map(),
      ...(t ? { template: t.name } : {}),
    };
    this.indices.set(name, state);
    return state;
  }

  #bulk(defaultIndex: string | undefined, raw: string, _params: URLSearchParams, res: ServerResponse): void {
    const started = Date.now();
    const lines = raw.split('\n').filter((l) => l.trim() !== '');
    const items: Json[] = [];
    let errors = false;
    this.bulkRequests++;
    for (let i = 0; i < lines.length; i++) {
      const action = JSON.parse(lines[i]!) as Record<string, Json>;
      const [op, meta] = Object.entries(action)[0] as [string, Json];
      const hasSource = op !== 'delete';
      const sourceLine = hasSource ? lines[++i] : undefined;
      this.bulkItems++;
      const index = String(meta._index ?? defaultIndex ?? '');
      const id = meta._id === undefined ? `auto-${++this.#seq}` : String(meta._id);
      const item = this.#bulkItem(op, index, id, sourceLine);
      if ((item.status as number) >= 300) errors = true;
      items.push({ [op]: item });
    }
    this.#send(res, 200, { took: Date.now() - started, errors, items });
  }

  #bulkItem(op: string, indexName: string, id: string, sourceLine: string | undefined): Json {
    const fail = (status: number, type: string, reason: string, index = indexName) => ({
      _index: index,
      _id: id,
      status,
      error: { type, reason, index },
    });
    if (!indexName) return fail(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
    const fault = this.#itemFaults.get(id);
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      return fail(fault.status, fault.type, fault.reason);
    }
    let index = this.indices.get(indexName);
    if (!index) {
      const t = this.#templateFor(indexName);
      index = this.#createIndex(indexName, t);
    }
    if (op !== 'create' && op !== 'index')
      return fail(400, 'illegal_argument_exception', `stand-in: unsupported bulk op ${op}`, index.backingIndex);
    if (index.dataStream && op !== 'create') {
      return fail(
        400,
        'illegal_argument_exception',
        `only write ops with an op_type of create are allowed in data streams`,
        index.backingIndex,
      );
    }
    let source: Json;
    try {
      source = JSON.parse(sourceLine ?? '') as Json;
    } catch (err) {
      return fail(400, 'document_parsing_exception', `failed to parse: ${String(err)}`, index.backingIndex);
    }
    if (index.dataStream && !('@timestamp' in source)) {
      return fail(400, 'document_parsing_exception', 'data stream timestamp field [@timestamp] is missing', index.backingIndex);
    }
    try {
      validate(index, source);
    } catch (err) {
      if (err instanceof MappingError) return fail(400, err.type, err.message, index.backingIndex);
      throw err;
    }
    const existing = index.docs.get(id);
    if (existing && op === 'create') {
      this.conflicts++;
      return {
        _index: index.backingIndex,
        _id: id,
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [1])`,
          index: index.backingIndex,
          shard: '0',
        },
      };
    }
    const seq = ++this.#seq;
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    index.docs.set(id, { _id: id, _index: index.backingIndex, _source: source, _seq: seq });
    return {
      _index: index.backingIndex,
      _id: id,
      _version: existing ? 2 : 1,
      result: existing ? 'updated' : 'created',
      _shards: { total: 1, successful: 1, failed: 0 },
      _seq_no: seq,
      _primary_term: 1,
      status: existing ? 200 : 201,
    };
  }

  #search(found: IndexState[], body: Json, params: URLSearchParams, res: ServerResponse): void {
    const query = body.query as Json | undefined;
    let docs = found.flatMap((i) => [...i.docs.values()]).filter((d) => matches(d, query));
    const sort = (Array.isArray(body.sort) ? body.sort : body.sort ? [body.sort] : []) as unknown[];
    for (const s of [...sort].reverse()) {
      const [field, spec] = typeof s === 'string' ? [s, 'asc'] : (Object.entries(s as Json)[0] as [string, unknown]);
      const order = typeof spec === 'string' ? spec : String((spec as Json).order ?? 'asc');
      const key = (d: Doc) =>
        field === '_id' ? d._id : field === '_doc' ? d._seq : (valuesAt(d._source, field)[0] as string | number | undefined);
      docs = [...docs].sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        const cmp = ka === kb ? 0 : ka === undefined ? 1 : kb === undefined ? -1 : ka < kb ? -1 : 1;
        return order === 'desc' ? -cmp : cmp;
      });
    }
    const from = Number(body.from ?? params.get('from') ?? 0);
    const size = Number(body.size ?? params.get('size') ?? 10);
    const page = docs.slice(from, from + size);
    this.#send(res, 200, {
      took: 1,
      timed_out: false,
      _shards: { total: found.length, successful: found.length, skipped: 0, failed: 0 },
      hits: {
        total: { value: docs.length, relation: 'eq' },
        max_score: null,
        hits: page.map((d) => ({ _index: d._index, _id: d._id, _score: null, _source: body._source === false ? undefined : d._source })),
      },
    });
  }
}

/** A started stand-in on a free loopback port. */
export async function startElasticsearchStandin(opts: StandinOptions = {}): Promise<ElasticsearchStandin> {
  const s = new ElasticsearchStandin(opts);
  await s.start();
  return s;
}
