// @assay/scanner: the scanner service — transport, bus and store around @assay/scan-engine.
export {
  DEFAULT_HTTP_PORT,
  scannerConfig,
  scannerService,
  scannerServiceWith,
  scannerTopology,
  SERVICE_NAME,
  startScanner,
  type Scanner,
  type ScannerServiceOptions,
} from './service.ts';
export { limitsFrom, type ScannerShape } from './config.ts';
export { ScanJobs, type ScanJobsMetrics, type ScanJobsOptions } from './jobs.ts';
export type { ScanOutcome, ScanRequestOptions } from './outcome.ts';
export { StoreMaintenance, type MaintenanceOptions, type MaintenanceResult } from './maintenance.ts';
export { VulnDbManager, vulnDbDirFrom, type VulnDbManagerOptions } from './vulndb.ts';
