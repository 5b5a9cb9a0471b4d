// Sensitive data (private keys, tokens…): any finding, or findings of chosen rules, fail the
// image. Evidence is rule, path, layer and the masked match only: no secret leaves the scanner.
import { imagePath, type Control, type Controls, type Violation } from './types.ts';

type Config = NonNullable<Controls['sensitiveData']>;

export const sensitiveDataControl: Control<Config> = (report, config) => {
  if (!config.block) return { violations: [] };
  const ignore = new Set(config.ignoreRules ?? []);
  const only = config.rules ? new Set(config.rules) : undefined;
  const violations: Violation[] = [];
  for (const f of report.sensitiveData ?? []) {
    if (ignore.has(f.rule) || (only && !only.has(f.rule))) continue;
    violations.push({
      item: f.rule,
      severity: f.severity,
      summary: `${f.rule} at ${imagePath(f.path)}`,
      evidence: { rule: f.rule, path: f.path, ...(f.layerDigest ? { layer: f.layerDigest } : {}), masked: f.masked },
      remediation: `remove ${imagePath(f.path)} from the image (and rotate the secret)`,
    });
  }
  return { violations };
};
