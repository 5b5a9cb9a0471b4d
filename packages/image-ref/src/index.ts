// @assay/image-ref: container image references (the Docker/OCI reference grammar of
// distribution/reference), normalised the way Docker normalises "familiar" names.
export {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  type ImageReference,
  InvalidReferenceError,
  NAME_TOTAL_LENGTH_MAX,
  familiarName,
  familiarString,
  formatReference,
  isValidRepository,
  isValidTag,
  parseReference,
  repositoryKey,
  withDigest,
  withTag,
} from './reference.ts';
export { type ParsedDigest, isValidDigest, parseDigest, DIGEST_HEX_LENGTHS } from './digest.ts';
