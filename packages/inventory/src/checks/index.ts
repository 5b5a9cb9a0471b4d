// Custom compliance checks: declarative definitions and their evaluation.
export {
  CheckDefinitionSchema,
  InvalidCheckError,
  parseCheck,
  parseChecks,
  DEFAULT_CONTENT_BYTES,
  MAX_CONTENT_BYTES,
  DEFAULT_SECRET_ENV_PATTERNS,
  DEFAULT_SECRET_ENV_ALLOW,
  type CheckDefinition,
  type CheckKind,
} from './schema.ts';
export { evaluateChecks, type CheckFilesystem, type CheckInput, type CheckResult, type ImageConfigFacts } from './evaluate.ts';
