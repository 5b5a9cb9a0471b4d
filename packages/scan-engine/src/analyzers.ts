// The analyzers a scanner runs: @assay/inventory's default set, or an explicit set (tests, embedding).
import { AnalyzerRegistry, defaultAnalyzers } from '@assay/inventory';

export function defaultAnalyzerRegistry(): AnalyzerRegistry {
  return new AnalyzerRegistry(defaultAnalyzers());
}
