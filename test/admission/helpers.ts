// Shared pieces of the admission tests: the AdmissionReview vectors, an in-memory snapshot,
// runtime policies and verdicts, and an HTTPS client trusting the test CA.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { Compliance, VerdictSchema, type Verdict } from '@assay/proto';
import { formatReference, parseReference } from '@assay/image-ref';
import type { DecisionSnapshot, Exception, RuntimePolicyRef } from '@assay/review-engine';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `<repo>/../shared/vectors/01-admission-review`, or undefined when it is not there. */
export const VECTORS_DIR: string | undefined = (() => {
  const d = join(repoRoot, '..', 'shared', 'vectors', '01-admission-review');
  return existsSync(d) ? d : undefined;
})();

export function vectorsMissing(t: { skip(msg: string): void }): boolean {
  if (VECTORS_DIR) return false;
  t.skip('AdmissionReview vectors not found at ../shared/vectors/01-admission-review');
  return true;
}

export interface Vector {
  name: string;
  body: unknown;
  raw: string;
}

function load(sub: string, ext: string, parse: (s: string) => unknown): Vector[] {
  if (!VECTORS_DIR) return [];
  const dir = join(VECTORS_DIR, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext) && f !== 'expected.json')
    .sort()
    .map((f) => {
      const raw = readFileSync(join(dir, f), 'utf8');
      return { name: `${sub}/${f}`, body: parse(raw), raw };
    });
}

/** Requests from a real kube-apiserver 1.28 (JSON as sent). */
export const realVectors = (): Vector[] => load('real-apiserver-1.28', '.json', JSON.parse);
/** k8s.io/api round-trip fixtures: every field filled with placeholder values. */
export const roundTripVectors = (): Vector[] => load('k8s-api-roundtrip', '.json', JSON.parse);
/** gatekeeper's malformed and edge-case reviews (YAML; sent as JSON). */
export const gatekeeperVectors = (): Vector[] => load('gatekeeper-malformed', '.yaml', (s) => parseYaml(s) as unknown);

export function verdict(
  compliance: Compliance,
  reasons: { policy: string; control: string; message: string; severity?: string }[] = [],
): Verdict {
  return create(VerdictSchema, { compliance, reasons: reasons.map((r) => ({ severity: 'high', ...r })) });
}

export function runtimePolicy(id: string, overrides: Record<string, unknown> = {}): RuntimePolicyRef {
  return {
    id,
    version: 1,
    policy: {
      name: id,
      enabled: true,
      enforcement: 'enforce',
      scope: { namespaces: ['*'] },
      imagePolicies: [],
      blockUnregistered: true,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      ...overrides,
    },
  } as unknown as RuntimePolicyRef;
}

export interface MemoryState {
  verdicts: Map<string, Verdict>;
  tags: Map<string, string>;
  policies: RuntimePolicyRef[];
  exceptions: Exception[];
}

/** A snapshot over plain maps (digest → verdict, canonical reference → digest). */
export function memorySnapshot(state: Partial<MemoryState> = {}): DecisionSnapshot & { state: MemoryState } {
  const s: MemoryState = { verdicts: new Map(), tags: new Map(), policies: [], exceptions: [], ...state };
  return {
    state: s,
    verdict: (d) => s.verdicts.get(d),
    digestOf: (r) => s.tags.get(r),
    runtimePolicies: () => s.policies,
    exceptions: () => s.exceptions,
  };
}

/** Canonical form of a reference, as the tags bucket is keyed. */
export const canonical = (r: string): string => formatReference(parseReference(r));

export const digestFor = (seed: string): string => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

/**
 * Every image under a container list, and every image volume's reference, anywhere in `o`: the
 * generic walk the extractor is compared with.
 */
export function genericImageWalk(o: unknown, out: string[] = []): string[] {
  if (Array.isArray(o)) {
    for (const x of o) genericImageWalk(x, out);
  } else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (/containers$/i.test(k) && Array.isArray(v)) {
        for (const c of v)
          if (c && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') out.push((c as { image: string }).image);
      }
      if (k === 'volumes' && Array.isArray(v)) {
        for (const vol of v) {
          const ref = (vol as { image?: { reference?: unknown } } | null)?.image?.reference;
          if (typeof ref === 'string' && ref !== '') out.push(ref);
        }
      }
      genericImageWalk(v, out);
    }
  }
  return out;
}

export function httpsAgent(ca: string, client?: { cert: string; key: string }): Agent {
  return new Agent({
    connect: { ca, ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}) },
    keepAliveTimeout: 10_000,
  });
}

export async function post(
  agent: Agent,
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: any }> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': contentType },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.statusCode, json };
}

/** An AdmissionReview creating a Pod that runs `images` (one container each), as the API server sends it. */
export const podReview = (uid: string, namespace: string, images: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    operation: 'CREATE',
    namespace,
    name: `pod-${uid}`,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    userInfo: { username: 'dev', uid: 'u-1', groups: ['devs'] },
    object: { metadata: { name: `pod-${uid}` }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
    ...extra,
  },
});
