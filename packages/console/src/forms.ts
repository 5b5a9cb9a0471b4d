// Form controls with their labels, hints and inline errors, one way everywhere: every input has a
// `<label for>`, an error is tied to its input by `aria-describedby` and marks it
// `aria-invalid`, and a switch is a checkbox with `role="switch"` (keyboard and screen readers
// know it). Field names are the document paths the server maps back (`controls.malware.block`).
import { attrs, html, type Html } from './html.ts';

/** Errors by field name (a document path), as the server's validation named them. */
export type FieldErrors = ReadonlyMap<string, string>;

/** The hidden CSRF field every state-changing form carries. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}

const idOf = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function describe(name: string, hint: string | undefined, error: string | undefined): { ids: string | undefined; html: Html } {
  const id = idOf(name);
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return {
    ids,
    html: html`${hint ? html`<small id="${id}-hint" class="hint">${hint}</small>` : ''}${
      error ? html`<small id="${id}-error" class="field-error">${error}</small>` : ''
    }`,
  };
}

export interface FieldOptions {
  label: string;
  name: string;
  value?: string | number | undefined;
  type?: 'text' | 'number' | 'datetime-local' | 'search' | 'password' | 'email';
  hint?: string;
  errors?: FieldErrors;
  required?: boolean;
  placeholder?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  autocomplete?: string;
}

/** A labelled text-like input. */
export function field(o: FieldOptions): Html {
  const error = o.errors?.get(o.name);
  const d = describe(o.name, o.hint, error);
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${idOf(o.name)}">${o.label}</label>
    <input${attrs({
      id: idOf(o.name),
      name: o.name,
      type: o.type ?? 'text',
      value: o.value === undefined ? undefined : String(o.value),
      required: o.required,
      placeholder: o.placeholder,
      min: o.min,
      max: o.max,
      step: o.step,
      autocomplete: o.autocomplete,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': d.ids,
    })} />
    ${d.html}
  </div>`;
}

/** A labelled on/off switch. Unchecked boxes are not sent, so the server reads absence as off. */
export function switchField(o: { label: string; name: string; checked: boolean; hint?: string; errors?: FieldErrors }): Html {
  const error = o.errors?.get(o.name);
  const d = describe(o.name, o.hint, error);
  return html`<div class="field switch${error ? ' invalid' : ''}">
    <input${attrs({
      id: idOf(o.name),
      name: o.name,
      type: 'checkbox',
      role: 'switch',
      value: 'on',
      checked: o.checked,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': d.ids,
    })} />
    <label for="${idOf(o.name)}">${o.label}</label>
    ${d.html}
  </div>`;
}

/** A labelled select; `options` as [value, label]. */
export function selectField(o: {
  label: string;
  name: string;
  value: string | undefined;
  options: ReadonlyArray<readonly [string, string]>;
  hint?: string;
  errors?: FieldErrors;
}): Html {
  const error = o.errors?.get(o.name);
  const d = describe(o.name, o.hint, error);
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${idOf(o.name)}">${o.label}</label>
    <select${attrs({ id: idOf(o.name), name: o.name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': d.ids })}>
      ${o.options.map(([v, l]) => html`<option${attrs({ value: v, selected: v === o.value })}>${l}</option>`)}
    </select>
    ${d.html}
  </div>`;
}

/** A labelled textarea: free text, or a list with one entry per line (`lines`). */
export function textareaField(o: {
  label: string;
  name: string;
  value: string | readonly string[] | undefined;
  hint?: string;
  errors?: FieldErrors;
  rows?: number;
  required?: boolean;
  monospace?: boolean;
}): Html {
  const error = o.errors?.get(o.name);
  const d = describe(o.name, o.hint, error);
  const text = Array.isArray(o.value) ? o.value.join('\n') : ((o.value as string | undefined) ?? '');
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${idOf(o.name)}">${o.label}</label>
    <textarea${attrs({
      id: idOf(o.name),
      name: o.name,
      rows: o.rows ?? 3,
      required: o.required,
      class: o.monospace ? 'mono' : undefined,
      spellcheck: o.monospace ? 'false' : undefined,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': d.ids,
    })}>${text}</textarea>
    ${d.html}
  </div>`;
}

/** Errors that name no field of the form: listed above it. */
export function formErrors(errors: FieldErrors | undefined, shown: ReadonlySet<string>): Html {
  if (!errors || errors.size === 0) return html``;
  const rest = [...errors].filter(([k]) => !shown.has(k));
  return html`<div class="form-errors" role="alert">
    <p><strong>${errors.size === 1 ? 'This was not saved: 1 problem' : `This was not saved: ${errors.size} problems`}</strong></p>
    ${
      rest.length > 0
        ? html`<ul>
            ${rest.map(([k, m]) => html`<li><code>${k}</code>: ${m}</li>`)}
          </ul>`
        : ''
    }
  </div>`;
}

/** Previous / next links for a paginated table (`rel` for assistive tech). */
export function pager(o: { prev?: string | undefined; next?: string | undefined; label?: string }): Html {
  if (!o.prev && !o.next) return html``;
  return html`<nav class="pager" aria-label="${o.label ?? 'Pages'}">
    ${o.prev ? html`<a rel="prev" href="${o.prev}">← Previous</a>` : ''} ${o.next ? html`<a rel="next" href="${o.next}">Next →</a>` : ''}
  </nav>`;
}
