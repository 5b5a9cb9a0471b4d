// HTML escaped by construction: the `html` tag escapes every interpolated value unless it is
// already `Html` (another template's result, or `raw` for markup we wrote ourselves). A page is
// built only from `html` templates, so a repository name, a reason or a policy description can
// never become markup, whatever it holds.

/** Markup that is safe to insert as is. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: text (escaped), markup, lists of either, or nothing. */
export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value (both quotes escaped, so either attribute quote is safe). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return (v as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(v));
}

/** The template tag: `html\`<td>${name}</td>\`` escapes `name`. `false`/`null`/`undefined` render as nothing. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup written in this package (never data): inserted without escaping. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** `name="value"` pairs for optional attributes: `true` → bare attribute, false/undefined → absent. */
export function attrs(a: Record<string, string | number | boolean | undefined>): Html {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || v === false) continue;
    parts.push(v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`);
  }
  return new Html(parts.join(''));
}
