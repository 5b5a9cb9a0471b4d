// The verdict snapshot file: the four buckets admission decides from, as one JSON document that
// `assay snapshot` writes and `assay review --snapshot` reads back. Versioned, so a reader never
// silently misreads a file written by a newer assay.
import { fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { isObject } from '@assay/kit';
import { decodeException, decodeRuntimePolicy, type DecisionSnapshot } from '@assay/review-engine';
import { VerdictSchema } from '@assay/proto';
import { CliError } from './io.ts';
import type { BucketContents } from './nats.ts';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotFile {
  snapshotVersion: typeof SNAPSHOT_VERSION;
  /** When it was taken (ISO 8601). */
  createdAt: string;
  /** The NATS URL it was read from. */
  source: string;
  /** Manifest digest (`sha256:…`) → Verdict as protobuf JSON. */
  verdicts: Record<string, JsonValue>;
  /** Canonical reference (`registry/repository:tag`) → manifest digest. */
  tags: Record<string, string>;
  /** `runtime-policies` bucket key → the stored JSON (`{id, version, policy}`). */
  runtimePolicies: Record<string, unknown>;
  /** `policy-exceptions` bucket key → the stored JSON (dates as ISO strings). */
  exceptions: Record<string, unknown>;
}

export function toSnapshotFile(contents: BucketContents, source: string, now = new Date()): SnapshotFile {
  const sorted = <V>(m: Map<string, V>, f: (v: V) => unknown) =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, f(v)]));
  return {
    snapshotVersion: SNAPSHOT_VERSION,
    createdAt: now.toISOString(),
    source,
    verdicts: sorted(contents.verdicts, (v) => toJson(VerdictSchema, v)) as Record<string, JsonValue>,
    tags: sorted(contents.tags, (d) => d) as Record<string, string>,
    runtimePolicies: sorted(contents.runtimePolicies, (p) => p.raw),
    exceptions: sorted(contents.exceptions, (e) => e.raw),
  };
}

/**
 * Reads a snapshot document back into bucket contents. Everything is checked as the webhook's
 * decoders check it; unlike the webhook (which skips a bad value), a bad entry here is an error
 * naming it: a file is edited by hand, and a silently ignored policy would change the decision.
 */
export function parseSnapshotFile(text: string, name: string): BucketContents {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${name}: not a snapshot file (not JSON: ${(err as Error).message})`);
  }
  if (!isObject(doc) || !('snapshotVersion' in doc))
    throw new CliError(`${name}: not a snapshot file (no snapshotVersion; write one with \`assay snapshot\`)`);
  const version = doc.snapshotVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new CliError(`${name}: snapshotVersion ${JSON.stringify(version)} is not a version number`);
  }
  if (version > SNAPSHOT_VERSION) {
    throw new CliError(`${name}: snapshotVersion ${version} is newer than this assay reads (${SNAPSHOT_VERSION}); use a newer assay`);
  }
  const section = (key: string): Record<string, unknown> => {
    const v = doc[key] ?? {};
    if (!isObject(v)) throw new CliError(`${name}: ${key} must be an object`);
    return v;
  };
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const entry = <T>(what: string, key: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new CliError(`${name}: ${what} ${JSON.stringify(key)}: ${(err as Error).message}`);
    }
  };
  const out: BucketContents = { verdicts: new Map(), tags: new Map(), runtimePolicies: new Map(), exceptions: new Map() };
  for (const [digest, v] of Object.entries(section('verdicts'))) {
    out.verdicts.set(
      digest,
      entry('verdict', digest, () => fromJson(VerdictSchema, v as JsonValue, { ignoreUnknownFields: true })),
    );
  }
  for (const [ref, d] of Object.entries(section('tags'))) {
    if (typeof d !== 'string') throw new CliError(`${name}: tag ${JSON.stringify(ref)}: the digest must be a string`);
    out.tags.set(ref, d);
  }
  for (const [key, v] of Object.entries(section('runtimePolicies'))) {
    out.runtimePolicies.set(key, { raw: v, value: entry('runtime policy', key, () => decodeRuntimePolicy(bytes(v), key)) });
  }
  for (const [key, v] of Object.entries(section('exceptions'))) {
    out.exceptions.set(key, { raw: v, value: entry('exception', key, () => decodeException(bytes(v), key)) });
  }
  return out;
}

/** What decisions read, over bucket contents (from NATS or from a snapshot file alike). */
export function decisionSnapshot(
  contents: BucketContents,
  cluster?: string,
  namespaceLabels?: (namespace: string) => Readonly<Record<string, string>> | undefined,
): DecisionSnapshot {
  const policies = [...contents.runtimePolicies.values()].map((p) => p.value);
  const exceptions = [...contents.exceptions.values()].map((e) => e.value);
  return {
    verdict: (digest) => contents.verdicts.get(digest),
    digestOf: (ref) => contents.tags.get(ref),
    runtimePolicies: () => policies,
    exceptions: () => exceptions,
    cluster,
    ...(namespaceLabels ? { namespaceLabels } : {}),
  };
}
