// Alpine/Wolfi apk versions, ported from apk-tools v3 src/version.c:
// digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}
import type { VersionScheme } from './types.ts';

const T_INITIAL_DIGIT = 0;
const T_DIGIT = 1;
const T_LETTER = 2;
const T_SUFFIX = 3;
const T_SUFFIX_NO = 4;
const T_COMMIT_HASH = 5;
const T_REVISION_NO = 6;
const T_END = 7;
const T_INVALID = 8;

// pre-release suffixes sort below "no suffix" (NONE), post-release ones above
const SUFFIX_INVALID = 0;
const SUFFIX_NONE = 5;
const SUFFIXES: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };

interface TokenState {
  token: number;
  suffix: number;
  number: bigint;
  value: string;
  pos: number;
}

export const LESS = 1;
export const EQUAL = 2;
export const GREATER = 4;
export const FUZZY = 8;

function parseDigits(t: TokenState, s: string): void {
  const start = t.pos;
  while (t.pos < s.length && s.charCodeAt(t.pos) >= 48 && s.charCodeAt(t.pos) <= 57) t.pos++;
  t.value = s.slice(start, t.pos);
  t.number = t.value.length > 0 ? BigInt(t.value) : 0n;
  if (t.value.length === 0) t.token = T_INVALID;
}

function first(s: string): TokenState {
  const t: TokenState = { token: T_INITIAL_DIGIT, suffix: 0, number: 0n, value: '', pos: 0 };
  parseDigits(t, s);
  return t;
}

function next(t: TokenState, s: string): void {
  if (t.pos >= s.length) {
    t.token = T_END;
    return;
  }
  const c = s[t.pos]!;
  if (c >= 'a' && c <= 'z') {
    if (t.token > T_DIGIT) return void (t.token = T_INVALID);
    t.value = c;
    t.token = T_LETTER;
    t.pos++;
  } else if (c === '.' || (c >= '0' && c <= '9')) {
    if (c === '.') {
      if (t.token > T_DIGIT) return void (t.token = T_INVALID);
      t.pos++;
    }
    if (t.token === T_INITIAL_DIGIT || t.token === T_DIGIT) t.token = T_DIGIT;
    else if (t.token === T_SUFFIX) t.token = T_SUFFIX_NO;
    else return void (t.token = T_INVALID);
    parseDigits(t, s);
  } else if (c === '_') {
    if (t.token > T_SUFFIX_NO) return void (t.token = T_INVALID);
    t.pos++;
    const start = t.pos;
    while (t.pos < s.length && s[t.pos]! >= 'a' && s[t.pos]! <= 'z') t.pos++;
    t.value = s.slice(start, t.pos);
    t.suffix = SUFFIXES[t.value] ?? SUFFIX_INVALID;
    t.token = t.suffix === SUFFIX_INVALID ? T_INVALID : T_SUFFIX;
  } else if (c === '~') {
    if (t.token >= T_COMMIT_HASH) return void (t.token = T_INVALID);
    t.pos++;
    const start = t.pos;
    while (t.pos < s.length && /[0-9a-fA-F]/.test(s[t.pos]!)) t.pos++;
    t.value = s.slice(start, t.pos);
    t.token = t.value.length === 0 ? T_INVALID : T_COMMIT_HASH;
  } else if (c === '-') {
    if (t.token >= T_REVISION_NO || s[t.pos + 1] !== 'r') return void (t.token = T_INVALID);
    t.pos += 2;
    t.token = T_REVISION_NO;
    parseDigits(t, s);
  } else {
    t.token = T_INVALID;
  }
}

// apk_blob_sort: bytewise, then shorter first
function blobSort(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d) return d;
  }
  return a.length - b.length;
}

function tokenCmp(ta: TokenState, tb: TokenState): number {
  let a: bigint | number;
  let b: bigint | number;
  // a leading zero makes a component a string (Gentoo rule: 1.01 < 1.1)
  if (ta.token === T_DIGIT && (ta.value[0] === '0' || tb.value[0] === '0')) return cmpBlob(ta.value, tb.value);
  switch (ta.token) {
    case T_DIGIT:
    case T_INITIAL_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
      a = ta.number;
      b = tb.number;
      break;
    case T_LETTER:
      a = ta.value.charCodeAt(0);
      b = tb.value.charCodeAt(0);
      break;
    case T_SUFFIX:
      a = ta.suffix;
      b = tb.suffix;
      break;
    default:
      return cmpBlob(ta.value, tb.value);
  }
  return a < b ? LESS : a > b ? GREATER : EQUAL;
}

function cmpBlob(a: string, b: string): number {
  const r = blobSort(a, b);
  return r < 0 ? LESS : r > 0 ? GREATER : EQUAL;
}

// apk-tools 2.x (Alpine up to 3.21) tokenised more leniently: a digit may follow a letter
// ('6.6.2p1') and a letter may follow a dot ('10.2.22.r0'). Such versions occur in secdb/OSV
// data but are invalid to apk-tools 3, whose comparison then degrades to "equal"; for them we
// use the 2.x comparison (src/version.c before the v3 rewrite).
// Token types of the 2.x tokeniser, in its order (a later type may not follow an earlier one).
const V2 = { INVALID: -1, DIGIT_OR_ZERO: 0, DIGIT: 1, LETTER: 2, SUFFIX: 3, SUFFIX_NO: 4, REVISION_NO: 5, END: 6 } as const;
const V2_PRE = ['alpha', 'beta', 'pre', 'rc'];
const V2_POST = ['cvs', 'svn', 'git', 'hg', 'p'];

interface V2State {
  type: number;
  s: string;
  pos: number;
}

function v2NextToken(st: V2State): void {
  let n: number = V2.INVALID;
  const c = st.s[st.pos];
  if (c === undefined || c === '\0') n = V2.END;
  else if ((st.type === V2.DIGIT || st.type === V2.DIGIT_OR_ZERO) && c >= 'a' && c <= 'z') n = V2.LETTER;
  else if (st.type === V2.LETTER && c >= '0' && c <= '9') n = V2.DIGIT;
  else if (st.type === V2.SUFFIX && c >= '0' && c <= '9') n = V2.SUFFIX_NO;
  else {
    if (c === '.') n = V2.DIGIT_OR_ZERO;
    else if (c === '_') n = V2.SUFFIX;
    else if (c === '-') {
      if (st.s[st.pos + 1] === 'r') {
        n = V2.REVISION_NO;
        st.pos++;
      }
    }
    st.pos++;
  }
  if (n < st.type) {
    if (!(
      (n === V2.DIGIT_OR_ZERO && st.type === V2.DIGIT) ||
      (n === V2.SUFFIX && st.type === V2.SUFFIX_NO) ||
      (n === V2.DIGIT && st.type === V2.LETTER)
    ))
      n = V2.INVALID;
  }
  st.type = n;
}

function v2GetToken(st: V2State): number {
  const rest = st.s.length - st.pos;
  if (rest <= 0) {
    st.type = V2.END;
    return 0;
  }
  let v = 0;
  let i = 0;
  let nt: number = V2.INVALID;
  const at = (k: number): string => st.s[st.pos + k] ?? '';
  const digits = (): void => {
    while (i < rest && at(i) >= '0' && at(i) <= '9') v = v * 10 + (at(i++).charCodeAt(0) - 48);
  };
  switch (st.type) {
    case V2.DIGIT_OR_ZERO:
      if (at(0) === '0') {
        while (i < rest && at(i) === '0') i++;
        nt = V2.DIGIT;
        v = -i;
        break;
      }
      digits();
      break;
    case V2.DIGIT:
    case V2.SUFFIX_NO:
    case V2.REVISION_NO:
      digits();
      break;
    case V2.LETTER:
      v = at(0).charCodeAt(0);
      i = 1;
      break;
    case V2.SUFFIX: {
      const tail = st.s.slice(st.pos);
      const pre = V2_PRE.findIndex((x) => tail.startsWith(x));
      if (pre >= 0) {
        v = pre - V2_PRE.length;
        i = V2_PRE[pre]!.length;
        break;
      }
      const post = V2_POST.findIndex((x) => tail.startsWith(x));
      if (post >= 0) {
        v = post;
        i = V2_POST[post]!.length;
        break;
      }
      st.type = V2.INVALID;
      return -1;
    }
    default:
      st.type = V2.INVALID;
      return -1;
  }
  st.pos += i;
  if (st.pos >= st.s.length) st.type = V2.END;
  else if (nt !== V2.INVALID) st.type = nt;
  else v2NextToken(st);
  return v;
}

function apkCompareV2(a: string, b: string): number {
  const sa: V2State = { type: V2.DIGIT, s: a, pos: 0 };
  const sb: V2State = { type: V2.DIGIT, s: b, pos: 0 };
  let av = 0;
  let bv = 0;
  while (sa.type === sb.type && sa.type !== V2.END && sa.type !== V2.INVALID && av === bv) {
    av = v2GetToken(sa);
    bv = v2GetToken(sb);
  }
  if (av < bv) return LESS;
  if (av > bv) return GREATER;
  if (sa.type === sb.type) return EQUAL;
  // Reading the suffix from a copy leaves the state as it is.
  const preRelease = (st: V2State) => st.type === V2.SUFFIX && v2GetToken({ ...st }) < 0;
  return longerIsNewer(sa.type, sb.type, preRelease(sa), preRelease(sb));
}

/** apk_version_compare_fuzzy: returns LESS, EQUAL or GREATER (bit flags). */
export function apkCompareFlags(a: string, b: string, fuzzy = false): number {
  if (!fuzzy && (!isValidApk(a) || !isValidApk(b)) && isValidApkV2(a) && isValidApkV2(b)) return apkCompareV2(a, b);
  const ta = first(a);
  const tb = first(b);
  for (; ta.token === tb.token && ta.token < T_END; next(ta, a), next(tb, b)) {
    const r = tokenCmp(ta, tb);
    if (r !== EQUAL) return r;
  }
  if (ta.token === tb.token) return EQUAL;
  if (tb.token === T_END && fuzzy) return EQUAL;
  const preRelease = (t: TokenState) => t.token === T_SUFFIX && t.suffix < SUFFIX_NONE;
  return longerIsNewer(ta.token, tb.token, preRelease(ta), preRelease(tb));
}

/**
 * Two versions equal token for token until their token types differ: the longer one is newer,
 * unless what follows is a pre-release suffix (1.0_rc1 < 1.0). Both apk-tools generations end
 * their comparison this way.
 */
function longerIsNewer(aType: number, bType: number, aPreRelease: boolean, bPreRelease: boolean): number {
  if (aPreRelease) return LESS;
  if (bPreRelease) return GREATER;
  if (aType > bType) return LESS;
  if (bType > aType) return GREATER;
  return EQUAL;
}

/** Operator string ('<', '<=', '~', '>~', ...) to apk's result mask. */
export function apkOpMask(op: string): number {
  let r = 0;
  for (const c of op) {
    if (c === '<') r |= LESS;
    else if (c === '>') r |= GREATER;
    else if (c === '=') r |= EQUAL;
    else if (c === '~') r |= FUZZY | EQUAL;
    else return 0;
  }
  return r;
}

/** apk_version_match(a, op, b), e.g. apkMatch('1.2', '>=', '1.1'). */
export function apkMatch(a: string, op: string, b: string): boolean {
  const mask = apkOpMask(op);
  return (apkCompareFlags(a, b, (mask & FUZZY) !== 0) & mask) !== 0;
}

export function compareApk(a: string, b: string): number {
  const r = apkCompareFlags(a, b);
  return r === LESS ? -1 : r === GREATER ? 1 : 0;
}

export function isValidApk(v: string): boolean {
  const t = first(v);
  while (t.token < T_END) next(t, v);
  return t.token === T_END;
}

/** apk-tools 2.x apk_version_validate. */
export function isValidApkV2(v: string): boolean {
  const st: V2State = { type: V2.DIGIT, s: v, pos: 0 };
  while (st.type !== V2.END && st.type !== V2.INVALID) v2GetToken(st);
  return st.type === V2.END;
}

export const apk: VersionScheme = { name: 'apk', compare: compareApk, isValid: isValidApk };
