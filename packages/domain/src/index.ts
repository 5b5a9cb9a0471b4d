// @assay/domain: the domain model. The documents Assay reasons about (scan reports, image
// assurance and runtime policies, exceptions, image records), their severities, and the
// schemas that validate them, with errors naming the field. No persistence: @assay/store
// implements repositories over these.
export { ValidationError, toValidationIssues, validate, type ValidationIssue } from './validation.ts';
export { digest, identifier, nonEmpty, platform, platformSpec, timestamp } from './fields.ts';
export { SEVERITIES, type Severity } from './severities.ts';
export { analyzerVersionsKey, analyzerVersionsSchema, type AnalyzerVersions } from './analyzer-versions.ts';
export {
  PackageSchema,
  ReportImageSchema,
  ScanReportSchema,
  ScanSummarySchema,
  SensitiveFindingSchema,
  SeverityCountsSchema,
  VulnerabilitySchema,
  validateScanReport,
  type ScanReport,
  type ScanSummary,
} from './reports.ts';
export { ImageAssurancePolicySchema, validateImagePolicy, type ImageAssurancePolicy } from './policies.ts';
export { RuntimePolicySchema, type RuntimePolicy } from './runtime-policies.ts';
export { CONTROLS, ExceptionScopeSchema, PolicyExceptionSchema, type PolicyException } from './exceptions.ts';
export { managedBy, type VersionedRecord, type VersionSource } from './versioned.ts';
export {
  ASSAY_API_VERSION,
  ASSAY_GROUP,
  ASSAY_RESOURCES,
  ASSAY_VERSION,
  IMAGE_ASSURANCE_POLICY_RESOURCE,
  MANAGED_BY,
  MANAGED_BY_KEY,
  POLICY_EXCEPTION_RESOURCE,
  RUNTIME_POLICY_RESOURCE,
  crdName,
  type AssayResource,
  type ManagedBy,
} from './resources.ts';
export { ImageRecordSchema, SCAN_STATUSES, SeenRefSchema, type ImageRecord, type ScanStatus, type SeenRef } from './image-records.ts';
export {
  ATTESTATION_KINDS,
  AttestationRecordSchema,
  KeyedMaterialSchema,
  KeylessIdentitySchema,
  KeylessResultSchema,
  ProvenanceSchema,
  SignatureRecordSchema,
  TRUST_SCOPES,
  TRUST_SOURCES,
  TrustedSignerSchema,
  TrustSectionSchema,
  VexStatementSchema,
  type AttestationKind,
  type AttestationRecord,
  type KeyedMaterial,
  type KeylessIdentity,
  type KeylessResult,
  type Provenance,
  type SignatureRecord,
  type TrustedSigner,
  type TrustScope,
  type TrustSection,
  type VexStatement,
} from './trust.ts';
