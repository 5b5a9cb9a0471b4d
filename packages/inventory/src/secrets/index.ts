// Sensitive-data detection: Trivy-style rules, the scanner and the file analyzer.
export { compileGoRegex, type GoRegex } from './regex.ts';
export { BUILTIN_RULES, type RuleSpec } from './rules.ts';
export { BUILTIN_ALLOW_RULES, type AllowRuleSpec } from './allow-rules.ts';
export {
  type AllowRule,
  type CompiledSecretScanner,
  compileSecretConfig,
  type ExcludeBlock,
  scanContent,
  type SecretMatch,
  type SecretScannerConfig,
  scanSecrets,
  type UserRule,
} from './scanner.ts';
export { isBinary, SECRET_ANALYZER_TYPE, SECRET_ANALYZER_VERSION, secretAnalyzer } from './analyzer.ts';
