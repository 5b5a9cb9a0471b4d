export { CLAMD_ADDRESS_EXPECTED, parseClamdAddress } from './address.ts';
export { ClamdError, ClamdLimitError, ClamdProtocolError, ClamdUnavailableError } from './errors.ts';
export { parseClamdVersion, type ClamdVersion } from './version.ts';
export {
  ClamdClient,
  createClamdClient,
  parseScanReply,
  DEFAULT_MAX_STREAM_BYTES,
  type ClamdAddress,
  type ClamdClientOptions,
  type ScanResult,
} from './client.ts';
export {
  createMalwareScanner,
  isLimitsAlert,
  type LayerInput,
  type MalwareFinding,
  type MalwareLayerResult,
  type MalwareScanner,
  type MalwareScannerOptions,
  type SkippedFile,
} from './malware.ts';
