// Shared by the audit tests and the bench: audit events of each kind, publishing them, and
// reading back which event ids the target Elasticsearch (stand-in or real) holds.
import { create } from '@bufbuild/protobuf';
import { Client } from '@elastic/elasticsearch';
import { newEventMeta, publishEvent } from '@assay/bus';
import { type AuditEvent, AuditEventSchema, ChangeType, Compliance, PolicyKind, Topics } from '@assay/proto';
import type { JetStreamClient } from 'nats';

/**
 * The audit service's settings in tests: one Elasticsearch data stream, short batches and quick
 * retries so outages and recoveries play out in milliseconds; logs silent unless AUDIT_TEST_LOG.
 */
export function auditTestEnv(natsUrl: string, esUrl: string, dataStream: string): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.AUDIT_TEST_LOG ?? 'silent',
    AUDIT_ES_URL: esUrl,
    AUDIT_ES_DATA_STREAM: dataStream,
    AUDIT_BATCH_LINGER: '20ms',
    AUDIT_RETRY_BASE: '50ms',
    AUDIT_RETRY_MAX: '500ms',
  };
}

const DIGEST = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

export function admissionEvent(i: number, opts: { allowed?: boolean; exceptionId?: string; namespace?: string } = {}): AuditEvent {
  const allowed = opts.allowed ?? i % 3 !== 0;
  return create(AuditEventSchema, {
    meta: newEventMeta('admission'),
    event: {
      case: 'admission',
      value: {
        uid: `uid-${i}`,
        namespace: opts.namespace ?? `team-${i % 4}`,
        kind: 'Pod',
        name: `web-${i}`,
        operation: 'CREATE',
        user: { username: 'system:serviceaccount:ci:deployer', uid: 'u-1', groups: ['system:serviceaccounts', 'ci'] },
        allowed,
        mode: 'enforce',
        runtimePolicy: 'default',
        exceptionId: opts.exceptionId ?? '',
        message: allowed ? '' : `image 127.0.0.1:5000/app/web:${i} is not compliant`,
        images: [
          {
            reference: `127.0.0.1:5000/app/web:${i}`,
            image: {
              registry: '127.0.0.1:5000',
              repository: 'app/web',
              tag: `v${i}`,
              digest: DIGEST(i),
              platform: { os: 'linux', architecture: 'amd64' },
            },
            path: 'spec.containers[0].image',
            compliance: allowed ? Compliance.COMPLIANT : Compliance.NON_COMPLIANT,
            allowed,
            reasons: allowed
              ? []
              : [
                  {
                    policy: 'baseline',
                    control: 'vulnerabilities',
                    message: `CVE-2024-${1000 + (i % 7)} in openssl 3.0.1 (critical)`,
                    severity: 'CRITICAL',
                  },
                ],
          },
        ],
      },
    },
  });
}

export function scanEvent(i: number): AuditEvent {
  return create(AuditEventSchema, {
    meta: newEventMeta('scanner'),
    event: {
      case: 'scan',
      value: {
        image: { registry: 'docker.io', repository: 'library/nginx', tag: '1.27', digest: DIGEST(100_000 + i) },
        status: 'completed',
        reportId: `r-${i}`,
        vulnerabilities: i % 50,
        sensitiveFindings: 0,
        malwareFindings: 0,
      },
    },
  });
}

export function policyEvent(i: number): AuditEvent {
  return create(AuditEventSchema, {
    meta: newEventMeta('policy'),
    event: {
      case: 'policyChange',
      value: {
        kind: PolicyKind.IMAGE_ASSURANCE,
        policyId: `p-${i}`,
        version: i,
        change: ChangeType.UPDATED,
        user: { username: 'alice' },
        beforeJson: JSON.stringify({ controls: { malware: { block: false } } }),
        afterJson: JSON.stringify({ controls: { malware: { block: true } } }),
      },
    },
  });
}

export function verdictEvent(i: number): AuditEvent {
  return create(AuditEventSchema, {
    meta: newEventMeta('policy'),
    event: {
      case: 'verdictChange',
      value: {
        image: {
          registry: 'docker.io',
          repository: 'library/nginx',
          tag: '1.27',
          digest: DIGEST(200_000 + i),
          platform: { os: 'linux', architecture: 'amd64' },
        },
        compliance: Compliance.NON_COMPLIANT,
        previous: Compliance.COMPLIANT,
        reasons: [
          { policy: 'baseline', control: 'vulnerabilities', message: 'CVE-2024-0001 in openssl, fixed in 3.0.14', severity: 'critical' },
        ],
        policies: [{ id: 'baseline', version: 3 }],
        vulnDbVersion: '20261126T000000Z',
        reportId: `r-${i}`,
      },
    },
  });
}

/** A mix of the three kinds, by index. */
export function mixedEvent(i: number): AuditEvent {
  return i % 10 === 9 ? scanEvent(i) : i % 10 === 8 ? policyEvent(i) : admissionEvent(i);
}

export function topicOf(ev: AuditEvent) {
  return ev.event.case === 'scan' ? Topics.auditScan : ev.event.case === 'policyChange' ? Topics.auditPolicy : Topics.auditAdmission;
}

export async function publishAudit(js: JetStreamClient, ev: AuditEvent): Promise<string> {
  // Retry through a NATS restart: the same Nats-Msg-Id makes a repeated publish land once.
  for (let attempt = 0; ; attempt++) {
    try {
      await publishEvent(js, topicOf(ev), ev, { timeoutMs: 2000 });
      return ev.meta!.id;
    } catch (err) {
      if (attempt > 60) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The official client against `url`, no retries of its own. */
export function esClient(url: string): Client {
  return new Client({ node: url, maxRetries: 0, requestTimeout: 30_000 });
}

/** Every `event.id` in the index, with repeats (there must be none), by paging through a search. */
export async function indexedIds(client: Client, index: string): Promise<string[]> {
  await client.indices.refresh({ index }).catch(() => {});
  const res = await client.search<{ event?: { id?: string } }>(
    {
      index,
      size: 10_000,
      query: { match_all: {} },
      sort: [{ '@timestamp': 'asc' }],
      _source: ['event.id'],
      track_total_hits: true,
    },
    { ignore: [404] },
  );
  const hits = res.hits?.hits ?? [];
  return hits.map((h) => h._id ?? h._source?.event?.id ?? '');
}

export async function countDocs(client: Client, index: string): Promise<number> {
  await client.indices.refresh({ index }).catch(() => {});
  const r = await client.count({ index }, { ignore: [404] });
  return r.count ?? 0;
}

export function lostAndDuplicated(published: readonly string[], indexed: readonly string[]): { lost: string[]; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const id of indexed) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    lost: published.filter((id) => !seen.has(id)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
  };
}
