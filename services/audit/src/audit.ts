// The audit service's work: one independent durable consumer per sink (a slow or unreachable
// sink never holds up another), each batching into the one delivery loop (delivery.ts) towards
// its destination, and acknowledging a message only after the destination confirmed it.
// Elasticsearch is the first sink.
import type { Client } from '@elastic/elasticsearch';
import { pause } from '@assay/kit';
import { Consumers, Streams } from '@assay/proto';
import type { ServiceContext } from '@assay/service-kit';
import { type BatchConsumerHandle, type BatchConsumerOptions, consumeBatches } from './batch-consumer.ts';
import { expandAuditBatch } from './batch-message.ts';
import type { AuditShape } from './config.ts';
import { SinkDelivery } from './delivery.ts';
import type { Destination } from './destination.ts';
import { createEsClient, elasticsearchDestination } from './es-destination.ts';
import { installEsResources, type EsResourceNames } from './es-resources.ts';
import { sinkMetrics } from './metrics.ts';
import { type Prepared, prepareAuditMessage } from './prepare.ts';
import { type SinkSpec, sinkDurable } from './sink-specs.ts';
import { splunkDestination } from './splunk-destination.ts';
import { syslogDestination } from './syslog-destination.ts';
import { webhookDestination } from './webhook-destination.ts';

export interface AuditApi {
  readonly es: Client | undefined;
  readonly esResources: EsResourceNames;
  /** Resolves once the Elasticsearch resources are installed and its consumer runs. */
  readonly esStarted: Promise<void>;
  /** Events held by each sink (buffered or in flight). */
  held(): Record<string, number>;
}

/** How a sink's consumer batches: documents and bytes per batch, linger, batches in flight. */
type Batching = Pick<BatchConsumerOptions<Prepared>, 'maxBatchDocs' | 'maxBatchBytes' | 'lingerMs' | 'concurrency'>;

export function esResourceNames(config: ServiceContext<AuditShape>['config']): EsResourceNames {
  return {
    dataStream: config.AUDIT_ES_DATA_STREAM,
    template: config.AUDIT_ES_TEMPLATE,
    ilmPolicy: config.AUDIT_ES_ILM_POLICY,
    retentionDays: config.AUDIT_ES_RETENTION_DAYS,
  };
}

/** The destination of a configured SIEM sink. */
function destinationFor(spec: SinkSpec): Destination {
  switch (spec.type) {
    case 'splunk':
      return splunkDestination(spec);
    case 'webhook':
      return webhookDestination(spec);
    case 'syslog':
      return syslogDestination(spec);
  }
}

export async function startAudit(ctx: ServiceContext<AuditShape>): Promise<AuditApi> {
  const { config, logger, bus } = ctx;
  const names = esResourceNames(config);
  const stream = Streams.audit.name;
  const consumers: Record<string, BatchConsumerHandle> = {};
  const stop = new AbortController();
  ctx.onStop(async () => {
    stop.abort();
    await Promise.allSettled(Object.values(consumers).map((c) => c.stop()));
  });

  /** One sink: its durable consumer, batching into the delivery loop towards its destination. */
  async function startSink(sink: string, durable: string, destination: Destination, log: typeof logger, batching: Batching): Promise<void> {
    const m = sinkMetrics(ctx.metrics, sink);
    const delivery = new SinkDelivery({
      destination,
      js: bus.js,
      stream,
      consumer: durable,
      logger: log,
      retryBaseMs: config.AUDIT_RETRY_BASE,
      retryMaxMs: config.AUDIT_RETRY_MAX,
      signal: stop.signal,
      stats: m,
      producer: ctx.name,
    });
    consumers[sink] = await consumeBatches<Prepared>({
      js: bus.js,
      stream,
      durable,
      expand: expandAuditBatch,
      prepare: (msg) => prepareAuditMessage(msg, stream),
      deliver: (batch) => delivery.deliver(batch),
      ...batching,
      maxHeld: config.AUDIT_MAX_HELD,
      logger: log,
      onBatch: (docs, bytes) => {
        m.batchDocs(docs);
        m.batchBytes(bytes);
      },
    });
  }

  let es: Client | undefined;
  let esStarted: Promise<void> = Promise.resolve();
  if (config.AUDIT_ES_ENABLED && !config.AUDIT_SINKS_DISABLED.includes('elasticsearch')) {
    const sink = 'elasticsearch';
    const log = logger.child({ component: 'sink', sink });
    const client = createEsClient({
      urls: config.AUDIT_ES_URL,
      apiKey: config.AUDIT_ES_API_KEY,
      username: config.AUDIT_ES_USERNAME,
      password: config.AUDIT_ES_PASSWORD,
      caFile: config.AUDIT_ES_CA,
      insecure: config.AUDIT_ES_TLS_INSECURE,
      requestTimeoutMs: config.AUDIT_ES_TIMEOUT,
    });
    es = client;
    ctx.onStop(() => client.close());
    // Not a readiness check: the service serves no traffic, and an unreachable sink must not
    // restart it (events wait safely in the stream). The gauge tells operators instead.
    const sinkUp = ctx.metrics.gauge({
      name: 'assay_audit_sink_started',
      help: 'Whether a sink is set up and consuming (1) or not yet (0)',
      labelNames: ['sink'],
    });
    sinkUp.set({ sink }, 0);
    esStarted = (async () => {
      // Nothing is written before the template exists: a write into a missing data stream would
      // otherwise create it from whatever template matches (the built-in logs-*-*).
      let attempt = 0;
      while (!stop.signal.aborted) {
        try {
          if (config.AUDIT_ES_INSTALL) {
            const report = await installEsResources(client, names);
            log.info(
              { ...report, ...names, elasticsearch: config.AUDIT_ES_URL.map((u) => new URL(u).host) },
              'elasticsearch resources installed',
            );
          }
          break;
        } catch (err) {
          const delay = Math.min(config.AUDIT_RETRY_MAX, config.AUDIT_RETRY_BASE * 2 ** Math.min(attempt++, 20));
          if (attempt === 1 || attempt % 10 === 0)
            log.warn(
              { err: err instanceof Error ? err.message : String(err), retryInMs: delay },
              'installing elasticsearch resources failed; retrying',
            );
          await pause(delay, stop.signal);
        }
      }
      if (stop.signal.aborted) return;
      await startSink(sink, Consumers.auditElasticsearch.durable, elasticsearchDestination(client, names.dataStream), log, {
        maxBatchDocs: config.AUDIT_BATCH_MAX_DOCS,
        maxBatchBytes: config.AUDIT_BATCH_MAX_BYTES,
        lingerMs: config.AUDIT_BATCH_LINGER,
        concurrency: config.AUDIT_ES_CONCURRENCY,
      });
      sinkUp.set({ sink }, 1);
    })().catch((err: unknown) => {
      log.error({ err }, 'elasticsearch sink failed to start');
    });
  }

  // Other SIEM sinks: each its own consumer, batches and retries.
  const durables: Array<[string, string]> = es ? [['elasticsearch', Consumers.auditElasticsearch.durable]] : [];
  for (const spec of config.AUDIT_SINKS) {
    if (config.AUDIT_SINKS_DISABLED.includes(spec.name)) continue;
    const durable = sinkDurable(spec.name);
    durables.push([spec.name, durable]);
    const destination = destinationFor(spec);
    ctx.onStop(() => destination.close());
    await startSink(spec.name, durable, destination, logger.child({ component: 'sink', sink: spec.name, type: spec.type }), {
      maxBatchDocs: spec.batchMaxDocs ?? config.AUDIT_BATCH_MAX_DOCS,
      maxBatchBytes: spec.batchMaxBytes ?? config.AUDIT_BATCH_MAX_BYTES,
      lingerMs: spec.lingerMs ?? config.AUDIT_BATCH_LINGER,
      // syslog writes to one connection: its batches go in order, one at a time.
      concurrency: spec.type === 'syslog' ? 1 : config.AUDIT_ES_CONCURRENCY,
    });
  }

  // Lag per sink, from consumer info (cheap; every few seconds, never at scrape time).
  const lagTimer = setInterval(() => {
    void (async () => {
      try {
        const jsm = await bus.jetstreamManager();
        for (const [sink, durable] of durables) {
          const info = await jsm.consumers.info(Streams.audit.name, durable);
          const m = sinkMetrics(ctx.metrics, sink);
          m.setPending(info.num_pending + info.num_ack_pending);
          m.setHeld(consumers[sink]?.held() ?? 0);
        }
      } catch {
        // Disconnected or not provisioned yet: the next tick tries again.
      }
    })();
  }, 5_000);
  lagTimer.unref();
  ctx.onStop(() => clearInterval(lagTimer));

  return {
    es,
    esResources: names,
    esStarted,
    held: () => Object.fromEntries(Object.entries(consumers).map(([k, c]) => [k, c.held()])),
  };
}
