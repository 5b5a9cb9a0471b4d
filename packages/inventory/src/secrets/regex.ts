// Go RE2 patterns (the syntax of Trivy's rules and of user configs) translated to JavaScript.
// The scanner matches a file as a latin1 "byte string" (one char per byte, as Go does), so
// offsets are byte offsets and invalid UTF-8 never breaks matching; literal non-ASCII
// characters in a pattern are turned into their UTF-8 bytes to match the same way.
//
// What differs between the dialects and is handled here:
//  - `(?P<name>…)`: JS forbids duplicate group names (Trivy allows several `secret` groups), so
//    every group becomes a plain capture and we keep the indices of each name ourselves;
//  - `(?i)` in mid-pattern applies to the rest of the enclosing group in Go: it becomes a JS
//    modifier group `(?i:…)` closed with that group (and reopened after each `|`);
//  - `.` does not match `\n` only (JS also stops at `\r`, which breaks CRLF files);
//  - `\A`, `\z` become look-arounds.
// Not supported (rejected): the `U` flag, `\Q…\E`, `\p{…}` classes.

export interface GoRegex {
  readonly re: RegExp;
  /** Capture-group numbers by group name (several when a name repeats). */
  readonly groups: ReadonlyMap<string, readonly number[]>;
}

const toBytes = (s: string): string => (/[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);

interface Scope {
  /** Modifier groups opened in this scope, each a flag string like `i` or `-i`. */
  opened: string[];
  dotAll: boolean;
}

/** Translates a Go regular expression; throws on syntax we cannot carry over faithfully. */
export function compileGoRegex(pattern: string, extraFlags = ''): GoRegex {
  const src = toBytes(pattern);
  let out = '';
  const groups = new Map<string, number[]>();
  let captures = 0;
  let globalFlags = '';
  let i = 0;
  // Leading flags apply to the whole pattern: JS flags.
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead?.[1]) {
    if (lead[1].includes('U')) throw new Error('regex: the U (ungreedy) flag is not supported');
    globalFlags = lead[1];
    i = lead[0].length;
  }
  const stack: Scope[] = [{ opened: [], dotAll: globalFlags.includes('s') }];
  const top = (): Scope => stack[stack.length - 1]!;
  const closeOpened = (s: Scope) => {
    out += ')'.repeat(s.opened.length);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('regex: trailing backslash');
      if (n === 'A') out += '(?<![\\s\\S])';
      else if (n === 'z') out += '(?![\\s\\S])';
      else if (n === 'Q' || n === 'p' || n === 'P') throw new Error(`regex: \\${n} is not supported`);
      else out += c + n;
      i += 2;
      continue;
    }
    if (c === '[') {
      // Copy a character class verbatim (escapes included); `]` first is literal in Go.
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') cls += src[j++];
      if (src[j] === ']') {
        cls += '\\]';
        j++;
      }
      while (j < src.length && src[j] !== ']') {
        if (src[j] === '\\') {
          cls += src.slice(j, j + 2);
          j += 2;
        } else if (src[j] === '[' && src[j + 1] === ':') throw new Error('regex: POSIX classes are not supported');
        else cls += src[j++];
      }
      if (j >= src.length) throw new Error('regex: unterminated character class');
      out += cls + ']';
      i = j + 1;
      continue;
    }
    if (c === '(') {
      if (src.startsWith('(?P<', i) || (src.startsWith('(?<', i) && src[i + 3] !== '=' && src[i + 3] !== '!')) {
        const start = src.indexOf('<', i) + 1;
        const end = src.indexOf('>', start);
        if (end < 0) throw new Error('regex: unterminated group name');
        const name = src.slice(start, end);
        captures++;
        const list = groups.get(name) ?? [];
        list.push(captures);
        groups.set(name, list);
        out += '(';
        stack.push({ opened: [], dotAll: top().dotAll });
        i = end + 1;
        continue;
      }
      const flags = /^\(\?([imsU-]*)(\)|:)/.exec(src.slice(i, i + 12));
      if (flags && flags[1] !== undefined) {
        const f = flags[1];
        if (f.includes('U')) throw new Error('regex: the U (ungreedy) flag is not supported');
        const on = f.split('-')[0] ?? '';
        const off = f.split('-')[1] ?? '';
        const dotAll = on.includes('s') ? true : off.includes('s') ? false : top().dotAll;
        if (flags[2] === ')') {
          // Flags for the rest of the enclosing group.
          if (f) {
            out += `(?${f}:`;
            top().opened.push(f);
          }
          top().dotAll = dotAll;
        } else {
          out += f ? `(?${f}:` : '(?:';
          stack.push({ opened: [], dotAll });
        }
        i += flags[0].length;
        continue;
      }
      if (src.startsWith('(?:', i)) {
        out += '(?:';
        stack.push({ opened: [], dotAll: top().dotAll });
        i += 3;
        continue;
      }
      if (src[i + 1] === '?') throw new Error(`regex: unsupported group syntax at ${i}`);
      captures++;
      out += '(';
      stack.push({ opened: [], dotAll: top().dotAll });
      i++;
      continue;
    }
    if (c === ')') {
      if (stack.length < 2) throw new Error('regex: unbalanced )');
      closeOpened(stack.pop()!);
      out += ')';
      i++;
      continue;
    }
    if (c === '|') {
      const s = top();
      closeOpened(s);
      out += '|';
      for (const f of s.opened) out += `(?${f}:`;
      i++;
      continue;
    }
    if (c === '.') {
      out += top().dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (stack.length !== 1) throw new Error('regex: unbalanced (');
  closeOpened(stack[0]!);
  const flags = [...new Set((globalFlags.replace(/s/g, '') + extraFlags).split(''))].join('');
  return { re: new RegExp(out, flags), groups };
}
