// The builtin secret rules: Trivy's (pkg/fanal/secret/builtin-rules.go, Apache-2.0), regexes kept
// in their Go syntax (translated by ./regex.ts), plus a few rules Trivy lacks for files found in
// images (PEM keys with headers, .npmrc/.pypirc, Docker config.json auths, kubeconfigs).
// Rule order is Trivy's (findings are reported in it), then Assay's own rules for image files.
import { IMAGE_FILE_RULES } from './rules-image-files.ts';
import { LEADING_RULES } from './rules-leading.ts';
import type { RuleSpec } from './rule-spec.ts';
import { VENDOR_RULES_A_I } from './rules-vendors-a-i.ts';
import { VENDOR_RULES_J_Z } from './rules-vendors-j-z.ts';

export type { RuleSpec };

export const BUILTIN_RULES: readonly RuleSpec[] = [...LEADING_RULES, ...VENDOR_RULES_A_I, ...VENDOR_RULES_J_Z, ...IMAGE_FILE_RULES];
