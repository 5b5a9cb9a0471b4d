// @assay/scanner: the scanner service — transport, bus and store around @assay/scan-engine.
// Exported: what main.ts, the tests, the local stack and the e2e stack use.
export { scannerService, scannerServiceWith, scannerTopology, type Scanner } from './service.ts';
export { limitsFrom } from './config.ts';
export { StoreMaintenance } from './maintenance.ts';
export { vulnDbDirFrom } from './vulndb.ts';
