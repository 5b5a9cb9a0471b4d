// Report formats for export: SARIF for code-scanning dashboards.
export { toSarif, pathToUri, LEVEL_BY_SEVERITY, SARIF_SCHEMA, SARIF_VERSION, type SarifLog, type SarifLevel, type SarifOptions, type SarifResult, type SarifRule, type SarifRun, type SarifLocation } from './sarif.ts';
