// Connecting to a running system and reading the four buckets admission decides from, the way
// the webhook does: bind to each bucket (never create one), mirror it until the initial load is
// complete, then stop. Values the webhook would skip (undecodable) are skipped here too.
import { readFile } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { decodeException, decodeRuntimePolicy, type Exception, type RuntimePolicyRef } from '@assay/review-engine';
import { connectBus, mirrorBucket, type BusConnection, type KvMirror } from '@assay/bus';
import { natsServers } from '@assay/config';
import { Buckets, decodeBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { CONTEXT_HELP, contextHint, resolveContext } from './context.ts';
import { CliError } from './io.ts';

export interface NatsOptions {
  /** Comma-separated URLs, as NATS_URL. */
  url: string;
  user?: string | undefined;
  passwordFile?: string | undefined;
  /** The password itself (from a context), when no file names it. */
  password?: string | undefined;
  /** Bound on connecting and on the initial sync of the mirrors, in ms. */
  timeoutMs?: number;
}

/** A value as stored (JSON) together with what the webhook decodes it to. */
export interface Decoded<T> {
  raw: unknown;
  value: T;
}

/** The buckets' contents, keyed as the decisions look them up. */
export interface BucketContents {
  /** Digest (`sha256:…`) → verdict. */
  verdicts: Map<string, Verdict>;
  /** Canonical reference (`registry/repository:tag`) → digest. */
  tags: Map<string, string>;
  /** Bucket key → runtime policy. */
  runtimePolicies: Map<string, Decoded<RuntimePolicyRef>>;
  /** Bucket key → exception. */
  exceptions: Map<string, Decoded<Exception>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `sha256.<hex>` (the digest-keyed buckets' spelling) back to `sha256:<hex>`. */
export function digestFromBucketKey(key: string): string {
  return key.replace('.', ':');
}

async function password(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    // A trailing newline is how editors and `echo` leave the file, never part of the password.
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliError(
      `--password-file ${file}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}

export async function connect(opts: NatsOptions): Promise<BusConnection> {
  const servers = natsServers().safeParse(opts.url);
  if (!servers.success)
    throw new CliError(`--nats ${JSON.stringify(opts.url)} is not a NATS URL (nats://host:port, comma-separated for a cluster)`);
  if (opts.passwordFile !== undefined && opts.user === undefined) throw new CliError('--password-file goes with --user');
  const pass = opts.passwordFile !== undefined ? await password(opts.passwordFile) : opts.password;
  try {
    return await connectBus({
      servers: servers.data,
      name: 'assay-cli',
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      ...(pass !== undefined ? { password: pass } : {}),
      connectTimeoutMs: opts.timeoutMs ?? 10_000,
    });
  } catch (err) {
    throw new CliError(`cannot connect to NATS: ${(err as Error).message}`);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${what} did not complete within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the four buckets through one connection (opened and closed here). */
export async function readBuckets(opts: NatsOptions): Promise<BucketContents> {
  const bus = await connect(opts);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const mirrors: KvMirror<unknown>[] = [];
  try {
    const mirror = async <T>(bucket: string, decode: (b: Uint8Array, key: string) => T): Promise<KvMirror<T>> => {
      try {
        const m = await mirrorBucket<T>({ js: bus.js, bucket, decode, connection: bus });
        mirrors.push(m as KvMirror<unknown>);
        return m;
      } catch (err) {
        throw new CliError(`${(err as Error).message} (is the assay system provisioned on this NATS?)`);
      }
    };
    const withRaw =
      <T>(decode: (b: Uint8Array, key: string) => T) =>
      (b: Uint8Array, key: string): Decoded<T> => ({ value: decode(b, key), raw: JSON.parse(utf8.decode(b)) as unknown });
    const verdicts = await mirror(Buckets.verdicts.name, (b) => fromBinary(VerdictSchema, b));
    const tags = await mirror(Buckets.tags.name, (b) => utf8.decode(b));
    const policies = await mirror(Buckets.runtimePolicies.name, withRaw(decodeRuntimePolicy));
    const exceptions = await mirror(Buckets.exceptions.name, withRaw(decodeException));
    await withTimeout(Promise.all(mirrors.map((m) => m.synced)), timeoutMs, 'the initial sync of the bucket mirrors');
    return {
      verdicts: new Map([...verdicts.entries()].map(([k, v]) => [digestFromBucketKey(k), v])),
      tags: new Map([...tags.entries()].map(([k, v]) => [decodeBucketKey(k), v])),
      runtimePolicies: new Map(policies.entries()),
      exceptions: new Map(exceptions.entries()),
    };
  } finally {
    await Promise.allSettled(mirrors.map((m) => m.stop()));
    await bus.close();
  }
}

/** Help lines of the commands reading NATS: flags, else the context's. */
export const NATS_CONTEXT_HELP = `                           (default: the context's URL, user and password)
${CONTEXT_HELP}`;

/**
 * NATS options from the flags, else from the context (`--context`, ASSAY_CONTEXT, the local
 * stack): its user and password only when its URL is the one used and no --user is given.
 */
export async function natsFromFlags(v: {
  nats?: string | undefined;
  user?: string | undefined;
  'password-file'?: string | undefined;
  context?: string | undefined;
}): Promise<{ url: string; user?: string | undefined; passwordFile?: string | undefined; password?: string | undefined }> {
  if (v.nats !== undefined && v.user !== undefined) return { url: v.nats, user: v.user, passwordFile: v['password-file'] };
  const ctx = await resolveContext(v);
  const url = v.nats ?? ctx.nats?.url;
  if (url === undefined) throw new CliError(`--nats <url> is required${contextHint(ctx)}`);
  if (v.user !== undefined || ctx.nats === undefined || ctx.nats.url !== url)
    return { url, user: v.user, passwordFile: v['password-file'] };
  return { url, user: ctx.nats.user, password: ctx.nats.password };
}
