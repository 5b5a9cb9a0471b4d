// The analyzers a scanner runs unless told otherwise: one list, so adding an analyzer family
// is one line here rather than a change in every consumer.
import type { Analyzer } from './analyzer.ts';
import { languageAnalyzers } from './lang/index.ts';
import { osAnalyzers } from './ospkg/index.ts';
import { secretAnalyzer } from './secrets/index.ts';

export function defaultAnalyzers(): Analyzer[] {
  return [...osAnalyzers(), ...languageAnalyzers(), secretAnalyzer()];
}
