// normaliseLicence: a licence string as a package records it → an SPDX expression, or unknown.
// Valid SPDX expressions pass through (deprecated GNU ids upgraded). Anything else is read as
// a distribution licence expression: DEP-5 (`GPL-1+ or Artistic, and BSD-3-clause`, where a
// comma lowers the precedence of what follows; `X with Y exception`), rpm (`GPLv2+ and
// LGPLv2+`, parentheses) and apk (`MIT AND BSD-3-Clause`). The result is known only when every
// licence in it maps to SPDX; otherwise it is unknown, with the raw text kept.
import { mapException, mapLicenceName } from './debian.ts';
import { isCurrentId, serialise, spdxParse, type SpdxParsed, upgradeId } from './spdx.ts';

export interface NormalisedLicence {
  /** SPDX licence id or expression; absent when unknown. */
  readonly spdx?: string;
  readonly raw: string;
  readonly known: boolean;
}

function upgradeTree(t: SpdxParsed): SpdxParsed {
  if ('license' in t) {
    const license = upgradeId(t.license, Boolean(t.plus));
    return t.exception ? { license, exception: t.exception } : { license };
  }
  return { conjunction: t.conjunction, left: upgradeTree(t.left), right: upgradeTree(t.right) };
}

/** A valid SPDX expression of listed licences (LicenseRef-… is valid but names no known licence). */
function asSpdx(s: string): SpdxParsed | undefined {
  try {
    const t = spdxParse(s);
    const ok = (n: SpdxParsed): boolean =>
      'license' in n ? !n.license.startsWith('LicenseRef-') && !n.license.startsWith('DocumentRef-') : ok(n.left) && ok(n.right);
    return ok(t) ? upgradeTree(t) : undefined;
  } catch {
    return undefined;
  }
}

type Tok = { op: 'and' | 'or' | 'comma' | '(' | ')' } | { word: string };

function tokenise(s: string): Tok[] {
  const out: Tok[] = [];
  for (const m of s.matchAll(/\(|\)|,|[^\s(),]+/g)) {
    const w = m[0];
    const l = w.toLowerCase();
    if (w === '(' || w === ')') out.push({ op: w });
    else if (w === ',') out.push({ op: 'comma' });
    else if (l === 'and' || l === '&' || l === '&&') out.push({ op: 'and' });
    else if (l === 'or' || l === 'and/or' || l === '|' || l === '||') out.push({ op: 'or' });
    else out.push({ word: w });
  }
  return out;
}

type Node = { leaf: string } | { op: 'and' | 'or'; left: Node; right: Node };

/** Recursive descent: comma-level < or < and < parenthesised / leaf (words up to an operator). */
function parseDistro(s: string): Node | undefined {
  const toks = tokenise(s);
  let i = 0;
  const peekOp = () => {
    const t = toks[i];
    return t && 'op' in t ? t.op : undefined;
  };
  const primary = (): Node | undefined => {
    if (peekOp() === '(') {
      i++;
      const n = commaLevel();
      if (peekOp() !== ')') return undefined;
      i++;
      return n;
    }
    const words: string[] = [];
    for (let t = toks[i]; t && 'word' in t; t = toks[++i]) words.push(t.word);
    return words.length ? { leaf: words.join(' ') } : undefined;
  };
  const binary = (op: 'and' | 'or', next: () => Node | undefined) => (): Node | undefined => {
    let left = next();
    while (left && peekOp() === op) {
      i++;
      const right = next();
      if (!right) return undefined;
      left = { op, left, right };
    }
    return left;
  };
  const andLevel = binary('and', primary);
  const orLevel = binary('or', andLevel);
  // DEP-5: `A or B, and C` is `(A or B) and C`; a bare comma reads as "and".
  const commaLevel = (): Node | undefined => {
    let left = orLevel();
    while (left && peekOp() === 'comma') {
      i++;
      let op: 'and' | 'or' = 'and';
      const o = peekOp();
      if (o === 'and' || o === 'or') {
        op = o;
        i++;
      }
      const right = orLevel();
      if (!right) return undefined;
      left = { op, left, right };
    }
    return left;
  };
  const n = commaLevel();
  return n && i === toks.length ? n : undefined;
}

/** A leaf to an SPDX tree: `GPL-3+ with Bison exception`, `GPL-3+-WITH-BISON-EXCEPTION`. */
function leafToSpdx(leaf: string): SpdxParsed | undefined {
  const w = /^(.+?)(?:\s+with\s+|-with-)(.+)$/i.exec(leaf);
  if (w?.[1] && w[2]) {
    const base = mapLicenceName(w[1]);
    if (!base || !isCurrentId(base)) return undefined;
    const exception = mapException(w[2], base);
    return exception ? { license: base, exception } : undefined;
  }
  const id = mapLicenceName(leaf);
  return id ? asSpdx(id) : undefined;
}

function toSpdx(n: Node): SpdxParsed | undefined {
  if ('leaf' in n) return leafToSpdx(n.leaf);
  const left = toSpdx(n.left);
  const right = left && toSpdx(n.right);
  return left && right ? { conjunction: n.op, left, right } : undefined;
}

const cache = new Map<string, NormalisedLicence>();

export function normaliseLicence(raw: string): NormalisedLicence {
  const hit = cache.get(raw);
  if (hit) return hit;
  const s = raw.trim();
  let tree = s ? asSpdx(s) : undefined;
  if (!tree && s) {
    const parsed = parseDistro(s);
    tree = parsed && toSpdx(parsed);
  }
  // The serialised form must itself be a valid expression (exception ids included).
  const spdx = tree ? serialise(tree) : undefined;
  const out: NormalisedLicence = spdx && asSpdx(spdx) ? { spdx, raw, known: true } : { raw, known: false };
  if (cache.size < 10_000) cache.set(raw, out);
  return out;
}
