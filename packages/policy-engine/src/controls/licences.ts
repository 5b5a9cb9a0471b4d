// Licences: a block list or an allow list of SPDX ids. Expressions are judged by their
// structure: `A OR B` passes if either option passes, `A AND B` only if both do; WITH
// exceptions (`GPL-2.0-only WITH Classpath-exception-2.0`) are judged by the licence id.
// Parsing is spdx-expression-parse's.
import parseSpdx from 'spdx-expression-parse';
import type { Control, Controls, Violation } from './types.ts';

type Config = NonNullable<Controls['licences']>;

type Expr = { license: string; plus?: boolean; exception?: string } | { conjunction: 'and' | 'or'; left: Expr; right: Expr };

/** The expression's structure; a string that is not SPDX (free text) is one opaque id. */
export function parseLicenceExpression(text: string): Expr {
  try {
    return parseSpdx(text.trim()) as Expr;
  } catch {
    return { license: text.trim() };
  }
}

const norm = (s: string) => s.trim().toLowerCase();

/** Whether an expression is acceptable given a test for single ids. */
function acceptable(e: Expr, ok: (id: string) => boolean): boolean {
  if ('license' in e) return ok(e.license) || (e.plus === true && ok(`${e.license}+`));
  return e.conjunction === 'and' ? acceptable(e.left, ok) && acceptable(e.right, ok) : acceptable(e.left, ok) || acceptable(e.right, ok);
}

export const licencesControl: Control<Config> = (report, config) => {
  const denied = new Set((config.denied ?? []).map(norm));
  const allowed = config.allowed ? new Set(config.allowed.map(norm)) : undefined;
  const ok = (id: string) => !denied.has(norm(id)) && (!allowed || allowed.has(norm(id)));
  // Findings from the licence analyzer, and licences declared on packages.
  const seen = new Set<string>();
  const pairs: Array<{ pkg: string; licence: string }> = [];
  for (const l of report.licences ?? []) pairs.push({ pkg: l.package, licence: l.licence });
  for (const p of report.packages) for (const l of p.licences ?? []) pairs.push({ pkg: p.name, licence: l });
  const violations: Violation[] = [];
  for (const { pkg, licence } of pairs) {
    const key = `${pkg}\0${licence}`;
    if (seen.has(key) || licence.trim() === '') continue;
    seen.add(key);
    // A denied expression given verbatim (`GPL-3.0-or-later OR AGPL-3.0`) is refused as such.
    if (denied.has(norm(licence)) || !acceptable(parseLicenceExpression(licence), ok)) {
      violations.push({
        item: licence,
        aliases: [pkg],
        severity: 'high',
        summary: `${pkg}: ${licence}`,
        evidence: { package: pkg, licence },
        remediation: allowed
          ? `replace ${pkg} (licence ${licence} is not on the allow list)`
          : `replace ${pkg} (licence ${licence} is refused)`,
      });
    }
  }
  return { violations };
};
