// What a browser would submit for a form on a console page, read from the page's HTML: inputs
// (checkboxes only when checked, no buttons), textareas and selects, in document order. Lets a
// test submit a rendered form unchanged, or with one field changed, as a person would.

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m]!);

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/\s([a-zA-Z_:-]+)(?:="([^"]*)")?/g)) out.set(m[1]!.toLowerCase(), unescape(m[2] ?? ''));
  return out;
}

/** The form whose action is `action` (the first one), as field → values. */
export function formFields(page: string, action: string): Record<string, string[]> {
  const start = page.search(new RegExp(`<form[^>]*action="${action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  if (start < 0) throw new Error(`no form posting to ${action}`);
  const body = page.slice(start, page.indexOf('</form>', start));
  const out: Record<string, string[]> = {};
  const add = (name: string | undefined, value: string) => {
    if (name) (out[name] ??= []).push(value);
  };
  for (const m of body.matchAll(/<input\b[^>]*>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>|<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    if (m[0].startsWith('<input')) {
      const a = attributes(m[0].slice('<input'.length));
      const type = a.get('type') ?? 'text';
      if (type === 'submit' || type === 'button') continue;
      if ((type === 'checkbox' || type === 'radio') && !a.has('checked')) continue;
      add(a.get('name'), a.get('value') ?? (type === 'checkbox' ? 'on' : ''));
    } else if (m[0].startsWith('<textarea')) {
      // The HTML parser drops one newline right after <textarea>.
      add(attributes(m[1]!).get('name'), unescape(m[2]!.replace(/^\n/, '')));
    } else {
      const options = [...m[4]!.matchAll(/<option\b([^>]*)>/g)].map((o) => attributes(o[1]!));
      const chosen = options.find((o) => o.has('selected')) ?? options[0];
      if (chosen) add(attributes(m[3]!).get('name'), chosen.get('value') ?? '');
    }
  }
  return out;
}
