// SLSA provenance predicates (v0.2 and v1) reduced to what policies judge: who built the image
// (builder id), how (build type), and from which source repository, ref and commit. The two
// versions put these in different places; v1 leaves the source to each build type, so the
// GitHub Actions workflow build type is read by name and others fall back to the git dependency.
import type { Provenance } from '@assay/domain';
import { isObject } from '@assay/kit';
import { TrustFormatError } from './errors.ts';

const bad = (field: string, what: string) => new TrustFormatError(`SLSA provenance: ${field} ${what}`);

function text(v: unknown, field: string, max: number, required: boolean): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(field, 'is missing');
    return undefined;
  }
  if (typeof v !== 'string') throw bad(field, 'is not a string');
  if (v.length > max) throw bad(field, `is longer than ${max} characters`);
  return v;
}

function obj(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(field, 'is not an object');
  return v;
}

/** A digest map as `<alg>:<hex>`, a git commit first (what a source is pinned to). */
function digestOf(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  for (const alg of ['gitCommit', 'sha1', 'sha256', 'sha512']) {
    const hex = v[alg];
    if (typeof hex === 'string' && hex !== '') return `${alg}:${hex}`.slice(0, 300);
  }
  const first = Object.entries(v).find(([, hex]) => typeof hex === 'string' && hex !== '');
  return first ? `${first[0]}:${String(first[1])}`.slice(0, 300) : undefined;
}

/**
 * A source URI as a repository and ref: `git+https://github.com/acme/app@refs/heads/main` →
 * `https://github.com/acme/app` and `refs/heads/main` (the `@` after the host's path, not an
 * `user@` before it).
 */
export function splitSourceUri(uri: string): { repository: string; ref?: string } {
  const bare = uri.startsWith('git+') ? uri.slice(4) : uri;
  const scheme = bare.indexOf('://');
  const pathStart = scheme >= 0 ? bare.indexOf('/', scheme + 3) : 0;
  const at = pathStart >= 0 ? bare.indexOf('@', pathStart) : -1;
  if (at < 0) return { repository: bare };
  const ref = bare.slice(at + 1);
  return { repository: bare.slice(0, at), ...(ref !== '' ? { ref: ref.slice(0, 1000) } : {}) };
}

function source(uri: string | undefined, digest: unknown): Pick<Provenance, 'sourceRepository' | 'sourceRef' | 'sourceDigest'> {
  if (uri === undefined) return {};
  const { repository, ref } = splitSourceUri(uri);
  const d = digestOf(digest);
  return { sourceRepository: repository, ...(ref ? { sourceRef: ref } : {}), ...(d ? { sourceDigest: d } : {}) };
}

function materials(list: unknown, field: string): { uri?: string; digest?: unknown }[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw bad(field, 'is not an array');
  return list
    .slice(0, 1000)
    .filter(isObject)
    .map((m) => ({ uri: typeof m['uri'] === 'string' ? m['uri'] : undefined, digest: m['digest'] }));
}

/** SLSA v0.2: builder.id, buildType, invocation.configSource (else the first git material). */
function v02(p: Record<string, unknown>): Provenance {
  const builder = obj(p['builder'], 'builder');
  const builderId = text(builder?.['id'], 'builder.id', 2000, true);
  const buildType = text(p['buildType'], 'buildType', 2000, true);
  const invocation = obj(p['invocation'], 'invocation');
  const config = obj(invocation?.['configSource'], 'invocation.configSource');
  let src = source(text(config?.['uri'], 'invocation.configSource.uri', 2000, false), config?.['digest']);
  if (src.sourceRepository === undefined) {
    const git = materials(p['materials'], 'materials').find((m) => m.uri?.startsWith('git+'));
    src = source(git?.uri, git?.digest);
  }
  return { slsaVersion: '0.2', builderId, buildType, ...src };
}

/** SLSA v1: runDetails.builder.id, buildDefinition.buildType, the source from the external parameters. */
function v1(p: Record<string, unknown>): Provenance {
  const def = obj(p['buildDefinition'], 'buildDefinition');
  const run = obj(p['runDetails'], 'runDetails');
  if (!def) throw bad('buildDefinition', 'is missing');
  if (!run) throw bad('runDetails', 'is missing');
  const builderId = text(obj(run['builder'], 'runDetails.builder')?.['id'], 'runDetails.builder.id', 2000, true);
  const buildType = text(def['buildType'], 'buildDefinition.buildType', 2000, true);
  const ext = obj(def['externalParameters'], 'buildDefinition.externalParameters');
  const deps = materials(def['resolvedDependencies'], 'buildDefinition.resolvedDependencies');
  // GitHub Actions workflow build type: externalParameters.workflow {repository, ref, path}.
  const workflow = obj(ext?.['workflow'], 'buildDefinition.externalParameters.workflow');
  const repo = text(workflow?.['repository'], 'buildDefinition.externalParameters.workflow.repository', 2000, false);
  if (repo !== undefined) {
    const ref = text(workflow?.['ref'], 'buildDefinition.externalParameters.workflow.ref', 1000, false);
    // Its commit is the resolved dependency for that repository.
    const dep = deps.find((d) => d.uri !== undefined && splitSourceUri(d.uri).repository === repo);
    const d = digestOf(dep?.digest);
    return {
      slsaVersion: '1',
      builderId,
      buildType,
      sourceRepository: repo,
      ...(ref ? { sourceRef: ref } : {}),
      ...(d ? { sourceDigest: d } : {}),
    };
  }
  // Other build types: a `source` URI parameter, else the first git dependency.
  const named = typeof ext?.['source'] === 'string' ? ext['source'] : undefined;
  const dep = deps.find((d) => d.uri !== undefined && (d.uri === named || (named === undefined && d.uri.startsWith('git+'))));
  return { slsaVersion: '1', builderId, buildType, ...source((named ?? dep?.uri)?.slice(0, 2000), dep?.digest) };
}

/** The provenance fields of a SLSA v0.2 or v1 predicate; TrustFormatError naming the field when it is neither. */
export function summariseProvenance(predicate: unknown): Provenance {
  if (!isObject(predicate)) throw new TrustFormatError('SLSA provenance: predicate is not an object');
  if ('buildDefinition' in predicate || 'runDetails' in predicate) return v1(predicate);
  if ('builder' in predicate || 'buildType' in predicate) return v02(predicate);
  throw new TrustFormatError('SLSA provenance: predicate has neither buildDefinition/runDetails (v1) nor builder/buildType (v0.2)');
}
