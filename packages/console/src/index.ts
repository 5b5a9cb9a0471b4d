export { Html, html, raw, attrs, escapeHtml, type Interpolation } from './html.ts';
export { page, CONSOLE_PATH, ASSETS_PATH, type NavKey, type Flash, type PageShell } from './layout.ts';
export { complianceBadge, shortDigest, duration, timeAgo, timeLeft, plural } from './format.ts';
export {
  csrfField,
  field,
  switchField,
  selectField,
  textareaField,
  formErrors,
  pager,
  type FieldErrors,
  type FieldOptions,
} from './forms.ts';
export { loginPage } from './views/login.ts';
export { ASSETS_DIR } from './assets.ts';
export {
  checkField,
  compact,
  fieldErrorsFromIssues,
  FormReader,
  FormWriter,
  KEPT_FIELD,
  type FieldErrorMap,
  type FieldKind,
  type FormValues,
  type FromForm,
} from './document-form.ts';
export {
  customCheckLine,
  MAX_SEVERITIES,
  packageLine,
  parseCustomCheckLine,
  parsePackageLine,
  POLICY_CONTROLS,
  POLICY_FIELDS,
  policyFromForm,
  policyToForm,
  type PolicyControl,
} from './policy-fields.ts';
export {
  ENFORCEMENTS,
  PENDING_ACTIONS,
  parsePlatformLine,
  platformLine,
  RUNTIME_POLICY_FIELDS,
  runtimePolicyFromForm,
  runtimePolicyToForm,
} from './runtime-policy-fields.ts';
export {
  imagesPage,
  imagesUrl,
  imageUrl,
  COMPLIANCE_OPTIONS,
  type ImagesFilter,
  type ImageRow,
  type ImagesPageData,
} from './views/images.ts';
export { overviewPage, type OverviewData, type OverviewStats, type DenialRow, type RunningRow } from './views/overview.ts';
export {
  imagePage,
  type ImagePageData,
  type VerdictView,
  type ReasonView,
  type EvidenceView,
  type SuppressionView,
} from './views/image.ts';
export { reportSections, formatSize, LIST_CAP, type ReportView } from './views/report-sections.ts';
export {
  advisoryUrl,
  sortVulnerabilities,
  VULNERABILITY_SORTS,
  VULNERABILITIES_PER_PAGE,
  type VulnerabilitySort,
  type VulnerabilityPaging,
  type VulnerabilityView,
} from './views/report-vulnerabilities.ts';
export {
  decisionsPage,
  decisionsUrl,
  OUTCOME_OPTIONS,
  type DecisionRow,
  type DecisionsFilter,
  type DecisionsPageData,
} from './views/decisions.ts';
export {
  exceptionsPage,
  EXCEPTION_FORM_FIELDS,
  EXPIRY_CHOICES,
  type ExceptionFormValues,
  type ExceptionRow,
  type ExceptionsPageData,
} from './views/exceptions.ts';
export {
  imageScopeSummary,
  managedByText,
  policiesPage,
  POLICY_KINDS,
  policyUrl,
  runtimePoliciesPage,
  runtimeScopeSummary,
  type ManagedByView,
  type PoliciesPageData,
  type PolicyKind,
  type PolicyRow,
  type RuntimePolicyRow,
} from './views/policies.ts';
export { policyFormPage, type DryRunView, type PolicyFormData } from './views/policy-form.ts';
export { runtimePolicyFormPage, type RuntimePolicyFormData } from './views/runtime-policy-form.ts';
export { versionsPage, type VersionDiffView, type VersionRow, type VersionsPageData } from './views/policy-versions.ts';
