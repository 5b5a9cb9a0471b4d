// Each service provisions the streams, durable consumers and KV buckets it uses when it starts.
// Create-or-update, never delete: running it twice, or from several replicas at once, converges
// on the same configuration, and a changed spec (new max age, more replicas) is applied in place.
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  nanos,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from 'nats';
import type { BucketSpec, ConsumerSpec, StreamSpec } from '@assay/proto';
import { type BusLogger, silentLogger } from './logger.ts';

/** A durable consumer as provisioned: the contract's names plus delivery tuning. */
export interface DurableConsumerSpec extends ConsumerSpec {
  /** How long the server waits for an ack (or `working()`) before redelivering, in ms. */
  readonly ackWaitMs?: number;
  /**
   * Server-side redelivery delays after ack timeouts, in ms. When set, the server uses the
   * first value as the ack wait.
   */
  readonly backoffMs?: readonly number[];
  /** Unacknowledged messages the server lets out at once, across all replicas (server default 1000). */
  readonly maxAckPending?: number;
}

/** `Topology` from @assay/proto fits; consumers may carry delivery tuning. */
export interface ProvisionTopology {
  readonly streams: readonly StreamSpec[];
  readonly consumers: readonly DurableConsumerSpec[];
  readonly buckets: readonly BucketSpec[];
}

export interface ProvisionOptions {
  /** Replicas of every stream and bucket: 3 in production (3-node cluster), 1 on one node. Default 1. */
  replicas?: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped, in ms. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Ack wait of consumers that do not set their own, in ms. Default 30 s. */
  ackWaitMs?: number;
  logger?: BusLogger;
}

/**
 * What a run did to one item. The server accepts an identical re-create, so when several
 * processes race to create the same thing, more than one of them may report 'created'.
 */
export type ProvisionAction = 'created' | 'updated' | 'unchanged';

export interface ProvisionReport {
  streams: Record<string, ProvisionAction>;
  consumers: Record<string, ProvisionAction>;
  buckets: Record<string, ProvisionAction>;
}

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

function apiErrCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } } | null)?.api_error?.err_code;
}

function isNotFound(err: unknown, code: number, text: string): boolean {
  return apiErrCode(err) === code || (err instanceof Error && err.message === text);
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isNotFound(err, STREAM_NOT_FOUND, 'stream not found')) return undefined;
    throw err;
  }
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (isNotFound(err, CONSUMER_NOT_FOUND, 'consumer not found')) return undefined;
    throw err;
  }
}

function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const sa = new Set(a ?? []);
  const sb = new Set(b ?? []);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function sameList(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const la = a ?? [];
  const lb = b ?? [];
  return la.length === lb.length && la.every((x, i) => x === lb[i]);
}

function fail(what: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`provisioning ${what}: ${msg}`, { cause: err });
}

/**
 * Attempts `create`; when another process created the thing in between (a race between
 * replicas starting together), reads it again and converges on an update instead.
 */
async function createOrConverge<I>(
  read: () => Promise<I | undefined>,
  create: () => Promise<unknown>,
  converge: (current: I) => Promise<ProvisionAction>,
): Promise<ProvisionAction> {
  for (let attempt = 0; ; attempt++) {
    const current = await read();
    if (current !== undefined) return converge(current);
    try {
      await create();
      return 'created';
    } catch (err) {
      // Lost a creation race: the thing exists now, so go round and compare.
      if (attempt < 3 && (await read()) !== undefined) continue;
      throw err;
    }
  }
}

function desiredStream(spec: StreamSpec, opts: Required<Omit<ProvisionOptions, 'logger'>>): Partial<StreamConfig> {
  const maxAgeMs = spec.maxAgeSeconds * 1000;
  // The server refuses a duplicate window longer than the maximum age.
  const dupMs = maxAgeMs > 0 ? Math.min(opts.duplicateWindowMs, maxAgeMs) : opts.duplicateWindowMs;
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    description: spec.description,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(dupMs),
    num_replicas: opts.replicas,
  };
}

async function ensureStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
  opts: Required<Omit<ProvisionOptions, 'logger'>>,
): Promise<ProvisionAction> {
  const want = desiredStream(spec, opts);
  return createOrConverge(
    () => streamInfo(jsm, spec.name),
    () => jsm.streams.add(want),
    async (info) => {
      const have = info.config;
      if (have.storage !== StorageType.File) {
        throw new Error(`stream ${spec.name} uses ${have.storage} storage; file storage cannot be set in place`);
      }
      const same =
        sameSet(have.subjects, want.subjects) &&
        (have.description ?? '') === want.description &&
        have.max_age === want.max_age &&
        have.duplicate_window === want.duplicate_window &&
        have.num_replicas === want.num_replicas;
      if (same) return 'unchanged';
      const { name: _name, retention: _retention, storage: _storage, ...update } = want;
      await jsm.streams.update(spec.name, update);
      return 'updated';
    },
  );
}

const BACKOFF_MAX_DELIVER = 1_000_000;

function desiredConsumer(spec: DurableConsumerSpec, opts: Required<Omit<ProvisionOptions, 'logger'>>): Partial<ConsumerConfig> {
  const backoff = spec.backoffMs && spec.backoffMs.length > 0 ? spec.backoffMs.map((ms) => nanos(ms)) : undefined;
  return {
    durable_name: spec.durable,
    description: spec.description,
    ack_policy: AckPolicy.Explicit,
    // With a backoff list the server takes its first value as the ack wait.
    ack_wait: backoff ? backoff[0]! : nanos(spec.ackWaitMs ?? opts.ackWaitMs),
    // Unlimited: consumeDurable counts deliveries and dead-letters the message itself, so the
    // server must never silently give up on one. With a backoff list the server (2.9) wants a
    // finite limit larger than the list, so "unlimited" becomes a million.
    max_deliver: backoff ? BACKOFF_MAX_DELIVER : -1,
    filter_subject: spec.filterSubject,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ...(backoff ? { backoff } : {}),
    ...(spec.maxAckPending !== undefined ? { max_ack_pending: spec.maxAckPending } : {}),
  };
}

async function ensureConsumer(
  jsm: JetStreamManager,
  spec: DurableConsumerSpec,
  opts: Required<Omit<ProvisionOptions, 'logger'>>,
): Promise<ProvisionAction> {
  const want = desiredConsumer(spec, opts);
  return createOrConverge(
    () => consumerInfo(jsm, spec.stream, spec.durable),
    () => jsm.consumers.add(spec.stream, want),
    async (info) => {
      const have = info.config;
      const same =
        (have.description ?? '') === want.description &&
        have.ack_policy === want.ack_policy &&
        have.ack_wait === want.ack_wait &&
        have.max_deliver === want.max_deliver &&
        (have.filter_subject ?? '') === want.filter_subject &&
        sameList(have.backoff, want.backoff) &&
        (want.max_ack_pending === undefined || have.max_ack_pending === want.max_ack_pending);
      if (same) return 'unchanged';
      const update = {
        description: want.description,
        ack_wait: want.ack_wait,
        max_deliver: want.max_deliver,
        filter_subject: want.filter_subject,
        backoff: want.backoff ?? [],
        ...(want.max_ack_pending !== undefined ? { max_ack_pending: want.max_ack_pending } : {}),
      };
      await jsm.consumers.update(spec.stream, spec.durable, update);
      return 'updated';
    },
  );
}

/** Name of the stream that backs KV bucket `bucket`. */
export function bucketStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

async function ensureBucket(
  jsm: JetStreamManager,
  spec: BucketSpec,
  opts: Required<Omit<ProvisionOptions, 'logger'>>,
): Promise<ProvisionAction> {
  const stream = bucketStreamName(spec.name);
  return createOrConverge(
    () => streamInfo(jsm, stream),
    // The client library knows the KV stream layout (subjects, rollups, discard policy).
    () =>
      jsm.jetstream().views.kv(spec.name, {
        history: spec.history,
        replicas: opts.replicas,
        description: spec.description,
        storage: StorageType.File,
        ...(spec.maxAgeSeconds ? { ttl: spec.maxAgeSeconds * 1000 } : {}),
      }),
    async (info) => {
      const have = info.config;
      const maxAge = nanos((spec.maxAgeSeconds ?? 0) * 1000);
      const same =
        have.max_msgs_per_subject === spec.history &&
        have.num_replicas === opts.replicas &&
        have.max_age === maxAge &&
        (have.description ?? '') === spec.description;
      if (same) return 'unchanged';
      await jsm.streams.update(stream, {
        max_msgs_per_subject: spec.history,
        num_replicas: opts.replicas,
        description: spec.description,
        max_age: maxAge,
        // The server refuses a duplicate window longer than the maximum age.
        ...(maxAge > 0 && (have.duplicate_window ?? 0) > maxAge ? { duplicate_window: maxAge } : {}),
      });
      return 'updated';
    },
  );
}

/** Creates or updates every stream, then every consumer, then every bucket of `topology`. */
export async function provisionTopology(
  jsm: JetStreamManager,
  topology: ProvisionTopology,
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const logger = options.logger ?? silentLogger;
  const opts = {
    replicas: options.replicas ?? 1,
    duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
    ackWaitMs: options.ackWaitMs ?? 30_000,
  };
  const report: ProvisionReport = { streams: {}, consumers: {}, buckets: {} };
  const run = async <T>(
    what: string,
    items: readonly T[],
    name: (t: T) => string,
    one: (t: T) => Promise<ProvisionAction>,
    into: Record<string, ProvisionAction>,
  ) => {
    await Promise.all(
      items.map(async (item) => {
        let action: ProvisionAction;
        try {
          action = await one(item);
        } catch (err) {
          throw fail(`${what} ${name(item)}`, err);
        }
        into[name(item)] = action;
        if (action !== 'unchanged') logger.info({ [what]: name(item), action }, `${what} ${action}`);
      }),
    );
  };
  // Consumers need their streams, so streams go first.
  await run(
    'stream',
    topology.streams,
    (s) => s.name,
    (s) => ensureStream(jsm, s, opts),
    report.streams,
  );
  await run(
    'consumer',
    topology.consumers,
    (c) => `${c.stream}/${c.durable}`,
    (c) => ensureConsumer(jsm, c, opts),
    report.consumers,
  );
  await run(
    'bucket',
    topology.buckets,
    (b) => b.name,
    (b) => ensureBucket(jsm, b, opts),
    report.buckets,
  );
  return report;
}
