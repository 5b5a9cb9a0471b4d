// A small XML reader for the manifests the analyzers read (pom.xml): elements, their text and
// attributes, the five predefined entities and character references. What manifests do not
// need is refused or skipped on purpose: a DOCTYPE is skipped without expanding anything it
// declares (no external entities, no "billion laughs"), processing instructions and comments
// are dropped. Namespace prefixes are removed from element names (`m:project` → `project`).
// Malformed documents throw; callers turn that into a warning.

export interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  /** The element's own text (CDATA included), children's text excluded, untrimmed. */
  text: string;
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const MAX_DEPTH = 256;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9A-Fa-f]+|#\d+|\w+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    }
    // An entity a DOCTYPE would declare is left as written: never expanded.
    return ENTITIES[ref] ?? whole;
  });
}

function localName(n: string): string {
  const i = n.lastIndexOf(':');
  return i < 0 ? n : n.slice(i + 1);
}

/** The document's root element; throws with a line number when the text is not well-formed XML. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    const line = src.slice(0, i).split('\n').length;
    throw new Error(`line ${line}: ${msg}`);
  };
  const skipPast = (end: string, what: string) => {
    const j = src.indexOf(end, i);
    if (j < 0) fail(`unterminated ${what}`);
    const body = src.slice(i, j);
    i = j + end.length;
    return body;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) fail('expected a name');
    i = NAME.lastIndex;
    return m![0];
  };
  const skipSpace = () => {
    while (i < src.length && ' \t\r\n'.includes(src[i]!)) i++;
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const t = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decode(t);
      else if (t.trim() !== '') fail('text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      i += 4;
      skipPast('-->', 'comment');
    } else if (src.startsWith('<![CDATA[', i)) {
      i += 9;
      const body = skipPast(']]>', 'CDATA section');
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root element');
      top!.text += body;
    } else if (src.startsWith('<?', i)) {
      i += 2;
      skipPast('?>', 'processing instruction');
    } else if (src.startsWith('<!DOCTYPE', i)) {
      // Skip to the matching '>', stepping over an internal subset in brackets.
      const close = src.indexOf('[', i) >= 0 && src.indexOf('[', i) < src.indexOf('>', i) ? ']' : '';
      if (close) {
        i = src.indexOf('[', i) + 1;
        skipPast(']', 'DOCTYPE internal subset');
      }
      skipPast('>', 'DOCTYPE');
    } else if (src[i + 1] === '/') {
      i += 2;
      const name = localName(readName());
      skipSpace();
      if (src[i] !== '>') fail(`malformed end tag </${name}`);
      i++;
      const top = stack.pop();
      if (!top || top.name !== name) fail(`end tag </${name}> does not match <${top?.name ?? ''}>`);
    } else {
      i++;
      const name = localName(readName());
      const attrs: Record<string, string> = {};
      for (;;) {
        const before = i;
        skipSpace();
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (i === before) fail(`malformed tag <${name}`);
        const an = readName();
        skipSpace();
        if (src[i] !== '=') fail(`attribute ${an} without a value`);
        i++;
        skipSpace();
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`attribute ${an} value not quoted`);
        i++;
        attrs[an] = decode(skipPast(q!, 'attribute value'));
      }
      const selfClosing = src[i] === '/';
      i += selfClosing ? 2 : 1;
      const el: XmlElement = { name, attrs, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} elements`);
        stack.push(el);
      }
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) fail('no root element');
  return root!;
}

/** The first child element of that name. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Every child element of that name. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** The trimmed text of the first child of that name; undefined when absent or empty. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const t = child(el, name)?.text.trim();
  return t ? t : undefined;
}
