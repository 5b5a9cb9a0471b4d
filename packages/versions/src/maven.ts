// Maven versions: a port of org.apache.maven.artifact.versioning.ComparableVersion (Maven 4),
// including combination items ('a1', 'rc-1'), '.X' treated as '-X', and trailing-null trimming.
import type { VersionScheme } from './types.ts';

type Item = NumItem | StrItem | ComboItem | ListItem;
// Maven distinguishes int/long/BigInteger items only by magnitude; one bigint covers all three.
interface NumItem {
  kind: 'num';
  value: bigint;
}
interface StrItem {
  kind: 'str';
  value: string;
}
interface ComboItem {
  kind: 'combo';
  str: StrItem;
  digit: Item;
}
interface ListItem {
  kind: 'list';
  items: Item[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = ['ga', 'final', 'release'];
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(''));
const isAsciiDigit = (c: string): boolean => c >= '0' && c <= '9';
// Java's Character.isDigit (used for the combination split) is Unicode-aware
const isJavaDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);

function strItem(value: string, followedByDigit: boolean): StrItem {
  if (followedByDigit && value.length === 1) {
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { kind: 'str', value: value === 'cr' ? 'rc' : value };
}

function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.includes(q)) return RELEASE_VERSION_INDEX;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

// Java String.compareTo: UTF-16 code units
const strCmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function parseItem(isCombination: boolean, isDigit: boolean, buf: string): Item {
  if (isCombination) return combo(buf.replaceAll('-', ''));
  if (isDigit) return { kind: 'num', value: BigInt(buf.replace(/^0+/, '') || '0') };
  return strItem(buf, false);
}

function combo(value: string): ComboItem {
  let index = 0;
  for (let i = 0; i < value.length; i++) {
    if (isJavaDigit(value[i]!)) {
      index = i;
      break;
    }
  }
  return { kind: 'combo', str: strItem(value.slice(0, index), true), digit: parseItem(false, true, value.slice(index)) };
}

function isNull(it: Item): boolean {
  switch (it.kind) {
    case 'num':
      return it.value === 0n;
    case 'str':
      return it.value === '';
    case 'combo':
      return false;
    case 'list':
      return it.items.length === 0;
  }
}

function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const last = items[i]!;
    if (isNull(last)) {
      const after = items[i + 1];
      if (i === items.length - 1 || after?.kind === 'str') items.splice(i, 1);
      else if (after?.kind === 'list') {
        const head = after.items[0];
        if (head?.kind === 'combo' || head?.kind === 'str') items.splice(i, 1);
      }
    }
  }
  if (items.length === 1 && items[0]!.kind === 'list') list.items = items[0]!.items;
}

function cmp(a: Item, b: Item | null): number {
  switch (a.kind) {
    case 'num':
      if (b === null) return a.value === 0n ? 0 : 1;
      if (b.kind === 'num') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'str':
      if (b === null) return strCmp(comparableQualifier(a.value), RELEASE_VERSION_INDEX);
      switch (b.kind) {
        case 'num':
          return -1;
        case 'str':
          return strCmp(comparableQualifier(a.value), comparableQualifier(b.value));
        case 'combo': {
          const r = cmp(a, b.str);
          if (r === 0) return cmp(a, null) === 0 ? -cmp(b.digit, null) : -1;
          return r;
        }
        case 'list':
          return -cmp(b, a);
      }
    // eslint-disable-next-line no-fallthrough
    case 'combo':
      if (b === null) {
        const r = cmp(a.str, null);
        return r === 0 ? cmp(a.digit, null) : r;
      }
      switch (b.kind) {
        case 'num':
          return -1;
        case 'str': {
          const r = cmp(a.str, b);
          if (r === 0) return cmp(a.str, null) === 0 ? cmp(a.digit, null) : 1; // X1 > X
          return r;
        }
        case 'list':
          return -cmp(b, a);
        case 'combo': {
          const r = cmp(a.str, b.str);
          return r === 0 ? cmp(a.digit, b.digit) : r;
        }
      }
    // eslint-disable-next-line no-fallthrough
    case 'list':
      if (b === null) {
        for (const it of a.items) {
          const r = cmp(it, null);
          if (r !== 0) return r;
        }
        return 0;
      }
      switch (b.kind) {
        case 'num':
          return -1; // 1-1 < 1.0.x
        case 'str':
        case 'combo': {
          let r = a.items.length === 0 ? -cmp(b, null) : cmp(a.items[0]!, b);
          for (let i = 1; r === 0 && i < a.items.length; i++) r = cmp(a.items[i]!, null);
          return r;
        }
        case 'list': {
          const n = Math.max(a.items.length, b.items.length);
          for (let i = 0; i < n; i++) {
            const l = a.items[i] ?? null;
            const r = b.items[i] ?? null;
            const res = l === null ? (r === null ? 0 : -cmp(r, l)) : cmp(l, r);
            if (res !== 0) return res;
          }
          return 0;
        }
      }
  }
}

/** ComparableVersion.parseVersion. */
export function parseMaven(version: string): ListItem {
  const items: ListItem = { kind: 'list', items: [] };
  const v = version.toLowerCase();
  let list = items;
  const stack: ListItem[] = [list];
  let isDigit = false;
  let isCombination = false;
  let start = 0;
  const push = (): void => {
    const nl: ListItem = { kind: 'list', items: [] };
    list.items.push(nl);
    list = nl;
    stack.push(nl);
  };
  for (let i = 0; i < v.length; i++) {
    let c = v[i]!;
    const cp = v.codePointAt(i)!;
    if (cp > 0xffff) {
      c = String.fromCodePoint(cp);
      i++;
    }
    if (c === '.') {
      list.items.push(i === start ? { kind: 'num', value: 0n } : parseItem(isCombination, isDigit, v.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === '-') {
      if (i === start) list.items.push({ kind: 'num', value: 0n });
      else {
        // X-1 is treated as X1
        if (!isDigit && i !== v.length - 1 && isJavaDigit(v[i + 1]!)) {
          isCombination = true;
          continue;
        }
        list.items.push(parseItem(isCombination, isDigit, v.slice(start, i)));
      }
      start = i + 1;
      if (list.items.length > 0) push();
      isCombination = false;
    } else if (isAsciiDigit(c)) {
      if (!isDigit && i > start) {
        isCombination = true; // X1
        if (list.items.length > 0) push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(isCombination, true, v.slice(start, i)));
        start = i;
        push();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X
    if (!isDigit && list.items.length > 0) push();
    list.items.push(parseItem(isCombination, isDigit, v.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return items;
}

/** ComparableVersion.getCanonical. */
export function canonicalMaven(version: string): string {
  const str = (it: Item): string => {
    switch (it.kind) {
      case 'num':
        return it.value.toString();
      case 'str':
        return it.value;
      case 'combo':
        return str(it.str) + str(it.digit);
      case 'list': {
        let out = '';
        for (const x of it.items) {
          if (out.length > 0) out += x.kind === 'list' ? '-' : '.';
          out += str(x);
        }
        return out;
      }
    }
  };
  return str(parseMaven(version));
}

export function compareMaven(a: string, b: string): number {
  const r = cmp(parseMaven(a), parseMaven(b));
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

// Maven accepts any string as a version; we only refuse empty and whitespace-bearing ones.
export const maven: VersionScheme = {
  name: 'maven',
  compare: compareMaven,
  isValid: (v) => v.length > 0 && v.length <= 256 && !/\s/.test(v),
};
