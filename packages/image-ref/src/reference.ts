// Reference parsing: `[registry/]repository[:tag][@digest]`, with Docker's normalisation
// (docker.io default registry, library/ for official images, latest when neither tag nor digest).
// Grammar from distribution/reference (regexp.go); the host rule follows Docker's splitDockerDomain
// (normalize.go) and the length limit its Parse (reference.go), so a reference Docker pulls parses.
import { parseDigest } from './digest.ts';
import { InvalidReferenceError } from './errors.ts';

export { InvalidReferenceError };

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
/**
 * Longest repository path (`library/nginx`, without the registry) Distribution accepts: its
 * RepositoryNameTotalLengthMax, checked on the path alone since distribution/reference v0.6.
 */
export const NAME_TOTAL_LENGTH_MAX = 255;

export interface ImageReference {
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000` */
  registry: string;
  /** `library/nginx` */
  repository: string;
  tag?: string;
  digest?: string;
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
// IPv6 in brackets without zone ids, as distribution/reference accepts it (hex and colons only).
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const REGISTRY = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
/** A bare 64-hex string is an image id, never a repository name (Docker refuses it too). */
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** A repository path as the registry API takes it (`library/nginx`), without registry or tag. */
export function isValidRepository(repository: string): boolean {
  return REPOSITORY.test(repository) && repository.length <= NAME_TOTAL_LENGTH_MAX;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/**
 * Whether the first path component names a registry host, as Docker decides it
 * (splitDockerDomain): `localhost`, anything with a "." or ":" (a domain, an IP, a port), or
 * anything with an uppercase letter, since Docker Hub namespaces are lowercase (`Foo/bar` is
 * repository `bar` on host `Foo`).
 */
function isRegistryHost(first: string): boolean {
  return first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first;
}

/** Parses and normalises `input`; throws InvalidReferenceError naming what is wrong. */
export function parseReference(input: string): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };
  if (input.length === 0) fail('reference is empty');
  if (input.trim() !== input) fail('reference must not contain leading or trailing whitespace');
  if (IDENTIFIER.test(input)) fail('a 64-character hexadecimal string is an image id, not a repository name');

  let name = input;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at !== -1) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    parseDigest(digest, input);
  }
  let tag: string | undefined;
  // A tag's colon comes after the last slash; a colon before it belongs to a registry port.
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag "${tag}" is invalid (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
  }
  if (name.length === 0) fail('repository name is empty');

  let registry = DEFAULT_REGISTRY;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (isRegistryHost(first)) {
      registry = first === LEGACY_DEFAULT_REGISTRY ? DEFAULT_REGISTRY : first;
      repository = name.slice(slash + 1);
      if (!REGISTRY.test(registry)) fail(`registry host "${first}" is invalid`);
    }
  }
  if (repository.length === 0) fail('repository name is empty');
  if (repository.toLowerCase() !== repository) fail(`repository name "${repository}" must be lowercase`);
  if (!REPOSITORY.test(repository)) {
    fail(
      `repository name "${repository}" is invalid (lowercase alphanumeric path components separated by ".", "_", "__" or "-", joined by "/")`,
    );
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = OFFICIAL_PREFIX + repository;
  // The path as the registry API takes it (library/ included), never the registry host.
  if (repository.length > NAME_TOTAL_LENGTH_MAX)
    fail(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters (${repository.length})`);

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined) ref.tag = DEFAULT_TAG;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `registry/repository[:tag][@digest]`, e.g. `docker.io/library/nginx:latest`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryKey(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `registry/repository`: the key under which a repository's tags and scans are kept. */
export function repositoryKey(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The name as Docker's UI shows it: `nginx`, `bitnami/redis`, `ghcr.io/org/app` (no tag or digest). */
export function familiarName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (ref.registry !== DEFAULT_REGISTRY) return repositoryKey(ref);
  if (ref.repository.startsWith(OFFICIAL_PREFIX)) {
    const rest = ref.repository.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.repository;
}

/** Familiar name with its tag and digest: `nginx:1.27`, `redis@sha256:...`. */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The same reference pinned to `digest` (validated); the tag is kept as information. */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  parseDigest(digest, `${repositoryKey(ref)}@${digest}`);
  return { ...ref, digest };
}

export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG.test(tag)) throw new InvalidReferenceError(`${repositoryKey(ref)}:${tag}`, `tag "${tag}" is invalid`);
  return { ...ref, tag };
}
