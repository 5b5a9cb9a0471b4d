// @assay/registry-client: read images from OCI / Docker registries (Distribution HTTP API).
export { RegistryClient } from './client.ts';
export {
  type BlobOptions,
  type FetchedManifest,
  type ManifestDescriptor,
  type PingResult,
  type Platform,
  type PlatformManifest,
  type RegistryClientOptions,
  type RegistryLogger,
} from './client-options.ts';
export { isLoopbackHost } from './transport.ts';
export {
  type CredentialProvider,
  credentialsFromDockerConfig,
  credentialsFromDockerConfigSecret,
  dockerConfigCredentialProvider,
  dockerConfigFromSecret,
  type DockerConfigSecret,
  normaliseRegistryKey,
  type RegistryCredentials,
} from './credentials.ts';
export { DigestVerifier, digestOf } from './digest.ts';
export { DigestMismatchError, isRegistryNotFound, RegistryError, type RegistryErrorDetail } from './errors.ts';
export {
  isImageManifestMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isRunnableManifest,
  isSigstoreBundleMediaType,
  MANIFEST_ACCEPT,
  MANIFEST_MEDIA_TYPES,
  MediaTypes,
  nonImageArtifactType,
} from './media-types.ts';
export {
  artifactTagSubject,
  fetchReferrers,
  manifestArtifactType,
  manifestSubject,
  type ReferrerDescriptor,
  type Referrers,
  type ReferrersOptions,
  referrersTagOf,
} from './referrers.ts';
export { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry.ts';
export { DEFAULT_TOKEN_LIFETIME_S, TokenCache } from './token-cache.ts';
export { type AuthChallenge, parseWwwAuthenticate } from './www-authenticate.ts';
export { CATALOG_SCOPE, pullScope } from './auth.ts';
export { nextLink } from './link.ts';
export {
  describeRegistry,
  parseRegistries,
  RegistryConfigError,
  registryListField,
  type RegistryCredentialsSpec,
  type RegistrySpec,
} from './registry-config.ts';
export { RegistryClients, registrySpecOptions, type RegistryClientsOptions } from './registry-clients.ts';
