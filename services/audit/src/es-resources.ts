// What audit installs in Elasticsearch at start, idempotently: an ILM policy, an index template
// (data stream, ECS mapping) and the data stream itself. Each is compared with what is there and
// written only when it differs, so many replicas starting together converge on the same state.
import type { Client } from '@elastic/elasticsearch';
import { isObject } from '@assay/kit';

export interface EsResourceNames {
  /** Data stream written to, e.g. `logs-assay.audit-default`. */
  dataStream: string;
  /** Index template name, e.g. `logs-assay.audit`. */
  template: string;
  /** ILM policy name, e.g. `assay-audit`. */
  ilmPolicy: string;
  /** Days documents are kept (ILM delete phase). */
  retentionDays: number;
  /** Rollover when the primary shard reaches this size, e.g. `50gb`. */
  rolloverSize?: string;
  /** Rollover after this age, e.g. `30d`. */
  rolloverAge?: string;
}

const kw = { type: 'keyword', ignore_above: 1024 } as const;
const text = { type: 'match_only_text' } as const;

/** The index template mapping: every field toEcs (ecs.ts) writes. FIELDS.md documents them. */
export const AUDIT_MAPPINGS = {
  // Unknown fields are kept in _source but not indexed, so a new producer field never turns an
  // event into a mapping failure.
  dynamic: 'false',
  date_detection: false,
  properties: {
    '@timestamp': { type: 'date' },
    ecs: { properties: { version: kw } },
    event: {
      properties: {
        id: kw,
        kind: kw,
        module: kw,
        dataset: kw,
        provider: kw,
        action: kw,
        category: kw,
        type: kw,
        outcome: kw,
        reason: { ...kw, fields: { text } },
      },
    },
    kubernetes: {
      properties: {
        namespace: kw,
        object: { properties: { kind: kw, name: kw } },
        operation: kw,
        sub_resource: kw,
        admission: { properties: { uid: kw, dry_run: { type: 'boolean' } } },
      },
    },
    user: {
      properties: {
        name: kw,
        id: kw,
        group: { properties: { name: kw } },
      },
    },
    container: {
      properties: {
        image: {
          properties: {
            name: kw,
            tag: kw,
            hash: { properties: { all: kw } },
          },
        },
      },
    },
    rule: {
      properties: {
        id: kw,
        name: kw,
        category: kw,
        ruleset: kw,
        version: kw,
      },
    },
    vulnerability: {
      properties: {
        id: kw,
        severity: kw,
      },
    },
    assay: {
      properties: {
        event_type: kw,
        causation_id: kw,
        subject: kw,
        stream_sequence: { type: 'long' },
        compliance: kw,
        reasons: {
          properties: {
            policy: kw,
            control: kw,
            severity: kw,
            message: { ...kw, fields: { text } },
            remediation: { ...kw, fields: { text } },
            audit_only: { type: 'boolean' },
            items: kw,
            trust: {
              properties: {
                signer: kw,
                subject: kw,
                scope: kw,
                source: kw,
                artifact: kw,
                builder_id: kw,
                source_repository: kw,
              },
            },
            evidence_omitted: { type: 'long' },
          },
        },
        trust: { properties: { signed: { type: 'boolean' }, signers: kw, attestations: kw } },
        admission: {
          properties: {
            webhook: kw,
            pinned: kw,
            allowed: { type: 'boolean' },
            mode: kw,
            runtime_policy: kw,
            exception_id: kw,
            break_glass: { type: 'boolean' },
            exemptions: { ...kw, fields: { text } },
            warnings: { ...kw, fields: { text } },
            denied_images: { type: 'long' },
            grace: { type: 'boolean' },
            stale: { type: 'boolean' },
            stale_seconds: { type: 'double' },
            images: {
              properties: {
                reference: kw,
                path: kw,
                name: kw,
                digest: kw,
                platform: kw,
                compliance: kw,
                allowed: { type: 'boolean' },
                exception_id: kw,
                exemption: kw,
                exemption_pattern: kw,
                grace_until: { type: 'date' },
                grace_workload: kw,
                trust: { properties: { signed: { type: 'boolean' }, signers: kw, attestations: kw } },
              },
            },
          },
        },
        scan: {
          properties: {
            status: kw,
            report_id: kw,
            error: { ...kw, fields: { text } },
            vulnerabilities: { type: 'long' },
            sensitive_findings: { type: 'long' },
            malware_findings: { type: 'long' },
            platform: kw,
            trust_only: { type: 'boolean' },
          },
        },
        policy: {
          properties: {
            kind: kw,
            id: kw,
            version: { type: 'long' },
            change: kw,
            before: { type: 'keyword', index: false, doc_values: false },
            after: { type: 'keyword', index: false, doc_values: false },
          },
        },
        verdict: {
          properties: {
            compliance: kw,
            previous: kw,
            report_id: kw,
            vuln_db_version: kw,
            policies: kw,
            platform: kw,
            platforms: kw,
            suppressed: {
              properties: {
                policy: kw,
                control: kw,
                item: kw,
                by: kw,
                status: kw,
                justification: kw,
                document: kw,
                statement: kw,
                signer: kw,
                attestation: kw,
              },
            },
          },
        },
        running: { properties: { pods: { type: 'long' }, previous: kw, report_id: kw } },
      },
    },
  },
} as const;

/** Index patterns the template applies to: every namespace of the data stream's dataset. */
export function templatePattern(dataStream: string): string {
  // logs-assay.audit-default → logs-assay.audit-*
  const i = dataStream.lastIndexOf('-');
  return i > 0 ? `${dataStream.slice(0, i)}-*` : `${dataStream}*`;
}

export function ilmPolicyBody(n: EsResourceNames) {
  return {
    phases: {
      hot: {
        min_age: '0ms',
        actions: {
          rollover: { max_primary_shard_size: n.rolloverSize ?? '50gb', max_age: n.rolloverAge ?? '30d' },
        },
      },
      delete: { min_age: `${n.retentionDays}d`, actions: { delete: {} } },
    },
    _meta: { managed_by: 'assay-audit' },
  };
}

export function indexTemplateBody(n: EsResourceNames) {
  return {
    index_patterns: [templatePattern(n.dataStream)],
    data_stream: {},
    // Above the built-in `logs` template (100), which matches logs-*-* too.
    priority: 200,
    template: {
      settings: { 'index.lifecycle.name': n.ilmPolicy, 'index.codec': 'best_compression' },
      mappings: AUDIT_MAPPINGS,
    },
    _meta: { managed_by: 'assay-audit', description: 'Assay audit events (ECS)' },
  };
}

/** Deep equality of JSON values, object key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return String(a) === String(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function statusOf(err: unknown): number | undefined {
  return (err as { meta?: { statusCode?: number } } | null)?.meta?.statusCode;
}

export type InstallAction = 'created' | 'updated' | 'unchanged';

export interface InstallReport {
  ilmPolicy: InstallAction;
  template: InstallAction;
  dataStream: InstallAction;
}

/** Installs the ILM policy, the index template and the data stream; safe to run any number of times. */
export async function installEsResources(client: Client, n: EsResourceNames): Promise<InstallReport> {
  const report: InstallReport = { ilmPolicy: 'unchanged', template: 'unchanged', dataStream: 'unchanged' };

  const policy = ilmPolicyBody(n);
  let currentPolicy: unknown;
  try {
    const r = await client.ilm.getLifecycle({ name: n.ilmPolicy });
    currentPolicy = (r as Record<string, { policy?: unknown }>)[n.ilmPolicy]?.policy;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  if (currentPolicy === undefined || !sameJson(currentPolicy, policy)) {
    await client.ilm.putLifecycle({ name: n.ilmPolicy, policy: policy as never });
    report.ilmPolicy = currentPolicy === undefined ? 'created' : 'updated';
  }

  const template = indexTemplateBody(n);
  let currentTemplate: unknown;
  try {
    const r = await client.indices.getIndexTemplate({ name: n.template });
    currentTemplate = r.index_templates.find((t) => t.name === n.template)?.index_template;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  if (currentTemplate === undefined || !templateMatches(currentTemplate, template)) {
    await client.indices.putIndexTemplate({ name: n.template, ...(template as object) } as never);
    report.template = currentTemplate === undefined ? 'created' : 'updated';
  }

  let exists = true;
  try {
    await client.indices.getDataStream({ name: n.dataStream });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    exists = false;
  }
  if (!exists) {
    try {
      await client.indices.createDataStream({ name: n.dataStream });
      report.dataStream = 'created';
    } catch (err) {
      // Another replica created it first.
      const type = (err as { body?: { error?: { type?: string } } }).body?.error?.type;
      if (type !== 'resource_already_exists_exception') throw err;
    }
  }
  // A changed template applies from the data stream's next backing index (next rollover).
  return report;
}

/** The stored template may carry defaults; compare the parts we own. */
function templateMatches(have: unknown, want: ReturnType<typeof indexTemplateBody>): boolean {
  const h = have as {
    index_patterns?: unknown;
    priority?: unknown;
    template?: { settings?: unknown; mappings?: unknown };
    _meta?: unknown;
  };
  const settings = h.template?.settings as Record<string, unknown> | undefined;
  const flat = flattenSettings(settings ?? {});
  return (
    sameJson(h.index_patterns, want.index_patterns) &&
    sameJson(h.priority, want.priority) &&
    sameJson(h.template?.mappings, want.template.mappings) &&
    flat['index.lifecycle.name'] === want.template.settings['index.lifecycle.name'] &&
    sameJson(h._meta, want._meta)
  );
}

function flattenSettings(o: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) Object.assign(out, flattenSettings(v, key));
    else out[key] = v;
  }
  return out;
}
