// The analyzers a scanner runs: every analyzer @assay/inventory offers — its `defaultAnalyzers()`
// when it has one; otherwise the union of its `…Analyzers()` set functions (osAnalyzers,
// langAnalyzers, …) and its exported analyzer objects — or an explicit set (tests, embedding).
import * as inventory from '@assay/inventory';
import { AnalyzerRegistry, type Analyzer } from '@assay/inventory';

function isAnalyzer(v: unknown): v is Analyzer {
  if (v === null || typeof v !== 'object') return false;
  const a = v as Record<string, unknown>;
  return (
    (a.kind === 'file' || a.kind === 'group') &&
    typeof a.type === 'string' &&
    typeof a.version === 'number' &&
    typeof a.required === 'function' &&
    (typeof a.analyze === 'function' || typeof a.analyzeGroup === 'function')
  );
}

function analyzersIn(v: unknown): Analyzer[] {
  if (v instanceof AnalyzerRegistry) return [...v.analyzers];
  if (Array.isArray(v)) return v.filter(isAnalyzer);
  return isAnalyzer(v) ? [v] : [];
}

export function defaultAnalyzerRegistry(): AnalyzerRegistry {
  const mod = inventory as unknown as Record<string, unknown>;
  const byType = new Map<string, Analyzer>();
  const add = (list: Analyzer[]) => {
    for (const a of list) if (!byType.has(a.type)) byType.set(a.type, a);
  };
  const preferred = mod.defaultAnalyzers;
  if (typeof preferred === 'function') {
    add(analyzersIn((preferred as () => unknown)()));
    if (byType.size > 0) return new AnalyzerRegistry([...byType.values()]);
  }
  for (const [name, v] of Object.entries(mod)) {
    if (typeof v === 'function' && /Analyzers$/.test(name) && v.length === 0) {
      try {
        add(analyzersIn((v as () => unknown)()));
      } catch {
        // not an analyzer set after all
      }
    } else {
      add(analyzersIn(v));
    }
  }
  return new AnalyzerRegistry([...byType.values()]);
}
