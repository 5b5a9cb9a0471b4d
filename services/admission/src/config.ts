// admission's own configuration variables, on top of the common ones.
import { bool, durationMs, int, port, str, url } from '@assay/config';
import { registryListField } from '@assay/registry-client';

export const admissionConfig = {
  ADMISSION_HOST: str('a host name or IP address')
    .default('127.0.0.1')
    .describe('Address the HTTPS webhook listens on (0.0.0.0 in containers)'),
  ADMISSION_PORT: port({ allowZero: true })
    .default(8443)
    .describe('Port of the HTTPS webhook (/validate, /mutate, /healthz, /readyz); 0 picks a free port'),
  // Optional only so the service can run as a bare mirror (local stack, library tests): without
  // both files there is no webhook at all, never a plain-HTTP one.
  ADMISSION_TLS_CERT: str('a file path')
    .optional()
    .describe(
      'Webhook server certificate (PEM, chain allowed), reloaded when it changes; without it and ADMISSION_TLS_KEY no webhook runs',
    ),
  ADMISSION_TLS_KEY: str('a file path').optional().describe('Webhook server private key (PEM), reloaded when it changes'),
  ADMISSION_CLIENT_CA: str('a file path')
    .optional()
    .describe('CA bundle the API server client certificate must chain to for /validate and /mutate (probes need none)'),
  ADMISSION_REGISTRIES: registryListField(
    'a JSON/YAML list of registries ([{name, url, insecure, ca, credentials}], as WATCHER_REGISTRIES)',
  )
    .default([])
    .describe('Registries for the bounded tag → digest lookup: JSON/YAML list of {name, url, insecure, ca, credentials}; others anonymous'),
  ADMISSION_TAG_LOOKUP_TIMEOUT: durationMs()
    .default(1500)
    .describe(
      "Budget of one review's registry HEADs for tags the tags bucket has no digest for, from the review's arrival: a tag not answered by then is decided as an image of unknown digest, and the message says its tag was not resolved within the budget (a HEAD still running goes on, for the next review)",
    ),
  // 32: against a registry answering in 50-500 ms (10% never), a review of 100 unknown tags gets
  // all but the never-answered ones within 1.5 s (16: half of them); 64 resolves no more.
  ADMISSION_TAG_LOOKUP_CONCURRENCY: int({ min: 1, max: 1024 })
    .default(32)
    .describe(
      'Registry HEADs for tag lookups in flight at once, for the whole process; the rest wait their turn (reviews served in turn), and those still waiting when every review asking for them is out of budget are not sent',
    ),
  ADMISSION_TAG_CACHE_TTL: durationMs().default(60_000).describe('How long a digest learnt from a registry HEAD is reused'),
  ADMISSION_TAG_CACHE_SIZE: int({ min: 1, max: 1_000_000 }).default(10_000).describe('Entries of the registry HEAD cache (LRU)'),
  ADMISSION_DECISION_DEADLINE: durationMs()
    .default(2000)
    .describe(
      "Longest admission waits for a pending verdict (runtime policy pending: wait), counted from the review's arrival like the tag lookups' budget: well under the webhook timeout",
    ),
  ADMISSION_MUTATE_PIN_DIGESTS: bool()
    .default(false)
    .describe('/mutate pins every pod tag to its digest; otherwise only pods labelled assay.dev/pin-digests: "true"'),
  ADMISSION_AUDIT_BUFFER: int({ min: 1, max: 10_000_000 })
    .default(50_000)
    .describe('Audit events and scan requests held in memory while NATS is unreachable'),
  ADMISSION_AUDIT_BATCH_MAX: int({ min: 1, max: 4096 })
    .default(256)
    .describe('Audit events published together in one stream message (AuditBatch) at most'),
  ADMISSION_AUDIT_BATCH_LINGER: int({ min: 0, max: 5000 })
    .default(25)
    .describe('Longest an audit event waits for its batch to fill, in ms (0: publish each decision at once)'),
  ADMISSION_BODY_LIMIT: int({ min: 65_536, max: 64 * 1024 * 1024 })
    .default(6 * 1024 * 1024)
    .describe('Largest AdmissionReview body accepted, in bytes (larger → 413)'),
  ADMISSION_CLUSTER: str().optional().describe('Cluster name runtime policies may scope on (scope.clusters)'),
  ADMISSION_NAMESPACE_LABELS: bool()
    .default(false)
    .describe(
      'Watch namespaces in the Kubernetes API so runtime policies can scope on namespace labels (scope.namespaceLabels); needs get/list/watch on namespaces, and not ready until the first list loads',
    ),
  ADMISSION_KUBE_API_URL: url({ protocols: ['https', 'http'] })
    .optional()
    .describe(
      'Kubernetes API server for the namespace watch; in a cluster KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA are used',
    ),
  ADMISSION_KUBE_TOKEN_FILE: str('a file path')
    .optional()
    .describe('Bearer token file for the Kubernetes API, re-read at every connection (default in a cluster: the service-account token)'),
  ADMISSION_KUBE_CA: str('a file path')
    .optional()
    .describe('CA bundle (PEM) the Kubernetes API server certificate must chain to (default in a cluster: the service-account ca.crt)'),
};

export type AdmissionShape = typeof admissionConfig;
