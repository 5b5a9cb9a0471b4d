// @assay/vulndb: OSV records compiled into a versioned SQLite file, distributed as an OCI
// artifact, swapped atomically, matched against inventories.
export { buildDatabase, type BuildOptions, type BuildResult } from './build.ts';
export { compareDbVersions } from './db-version.ts';
export {
  displayVersion,
  ecosystemKey,
  type Lookup,
  lookupsFor,
  normalisePackageName,
  osEcosystemKeys,
  splitEcosystem,
} from './ecosystems.ts';
export { DbHolder, type Lease } from './holder.ts';
export { DB_FILE_NAME, dbPath, fetchDatabaseFromUrl, installDatabaseFile, verifyDatabaseFile } from './install.ts';
export { openDatabase, type Finding, type OpenOptions, type VulnDb } from './match.ts';
export { InvalidDatabaseError } from './metadata.ts';
export { cveIdsOf, type Epss, type Intel, type Kev, type OsEol } from './intel.ts';
export { type IntelSources } from './intel-build.ts';
export { parseEpssCsv, type EpssFeed } from './epss.ts';
export { parseKevJson, type KevFeed } from './kev.ts';
export { DEFAULT_EOL_TABLE, readEolTable, type EolTable } from './eol.ts';
export {
  ANNOTATION_SHA256,
  ANNOTATION_VERSION,
  fetchDatabase,
  type FetchOptions,
  type FetchResult,
  publishDatabase,
  type PublishOptions,
  type PublishResult,
  VULNDB_ARTIFACT_TYPE,
  VULNDB_LAYER_MEDIA_TYPE,
  VULNDB_LAYER_MEDIA_TYPE_GZIP,
} from './oci.ts';
export {
  exportEcosystems,
  exportsIn,
  OSV_DEFAULT_ECOSYSTEMS,
  OSV_EXPORT_BASE,
  osvExportUrl,
  type OsvUpdateOptions,
  type OsvUpdateResult,
  updateFromOsvExports,
} from './osv-export.ts';
export { DownloadError, MAX_DOWNLOAD_BYTES, MAX_ZIP_INFLATED_BYTES, MAX_ZIP_MEMBER_BYTES } from './sources.ts';
export { parseOsvRecord, type ParseResult } from './osv-record.ts';
export { refreshDatabase } from './refresh.ts';
export { rematch, type RematchableReport, type RematchDiff, rematchReports, type RematchOptions } from './rematch.ts';
export { type DbMetadata, type IntelMetadata, SCHEMA_VERSION } from './schema.ts';
export { cvssBaseScore, ratingOf, type Severity, SEVERITIES, severityFromOsv, severityFromText, type SeverityResult } from './severity.ts';
export { DatabaseTooLargeError, DEFAULT_MAX_DATABASE_BYTES } from './byte-limit.ts';
