// The rules' keyword prefilter in one pass: an Aho-Corasick automaton over every keyword of every
// rule, run on the file's bytes, says which keywords occur. Searching each keyword on its own
// (`lower.includes(k)`) was most of the scanner's time: about 150 distinct keywords meant about
// 150 passes over every text file. The automaton reads each byte once, folds case itself (so no
// lowered copy of the file is made) and is built once per compiled configuration.

/** Which keywords occur in a file: `has(i)` for the keyword with index `i` in the index's list. */
export interface KeywordHits {
  has(i: number): boolean;
}

export interface KeywordIndex {
  /** The distinct keywords, in the scanner's form (latin1 bytes, lower-cased), by index. */
  readonly keywords: readonly string[];
  /** The index of a keyword (which must be one the index was built with). */
  indexOf(keyword: string): number;
  /** One pass over `bytes`. */
  search(bytes: Uint8Array): KeywordHits;
}

// Case folding exactly as `String.prototype.toLowerCase` does on a latin1 string (one char per
// byte), which is what keywords were matched against before: A-Z and À-Þ except ×.
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = String.fromCharCode(b).toLowerCase().charCodeAt(0);

const ALWAYS: KeywordHits = { has: () => true };

/**
 * Builds the automaton for `keywords` (each already in latin1, lower-cased form, as the scanner
 * compiles them). An empty keyword occurs in every file, as `''.includes` says.
 */
export function keywordIndex(keywords: Iterable<string>): KeywordIndex {
  const list = [...new Set(keywords)];
  const ids = new Map(list.map((k, i) => [k, i]));
  // Trie: goto[state * 256 + byte] = next state + 1 (0: none yet); outputs by state.
  let go = new Int32Array(256 * 64);
  const out: number[][] = [[]];
  let states = 1;
  const always: number[] = [];
  list.forEach((k, id) => {
    if (k.length === 0) {
      always.push(id);
      return;
    }
    let s = 0;
    for (let i = 0; i < k.length; i++) {
      const c = FOLD[k.charCodeAt(i) & 0xff]!;
      let next = go[s * 256 + c]! - 1;
      if (next < 0) {
        next = states++;
        out.push([]);
        if (states * 256 > go.length) {
          const grown = new Int32Array(go.length * 2);
          grown.set(go);
          go = grown;
        }
        go[s * 256 + c] = next + 1;
      }
      s = next;
    }
    out[s]!.push(id);
  });
  // Breadth-first: failure links, then a complete DFA whose entries are row offsets (state * 256),
  // and each state's outputs merged with its failure state's (a keyword that ends inside another).
  const delta = new Int32Array(states * 256);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let c = 0; c < 256; c++) {
    const next = go[c]! - 1;
    if (next > 0) {
      fail[next] = 0;
      queue.push(next);
      delta[c] = next * 256;
    } else delta[c] = 0;
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    out[s] = [...out[s]!, ...out[fail[s]!]!];
    for (let c = 0; c < 256; c++) {
      const next = go[s * 256 + c]! - 1;
      if (next > 0) {
        fail[next] = delta[fail[s]! * 256 + c]! / 256;
        queue.push(next);
        delta[s * 256 + c] = next * 256;
      } else delta[s * 256 + c] = delta[fail[s]! * 256 + c]!;
    }
  }
  // Folding is done once, in the table: an upper-case byte goes where its lower-case one does.
  for (let s = 0; s < states; s++) for (let b = 0; b < 256; b++) delta[s * 256 + b] = delta[s * 256 + FOLD[b]!]!;
  const outputs = out.map((o) => [...new Set(o)]);
  const terminal = new Uint8Array(states);
  for (let s = 0; s < states; s++) if (outputs[s]!.length) terminal[s] = 1;
  return {
    keywords: list,
    indexOf(keyword) {
      const id = ids.get(keyword);
      if (id === undefined) throw new Error(`keyword not indexed: ${keyword}`);
      return id;
    },
    search(bytes) {
      if (list.length === 0) return ALWAYS;
      const found = new Uint8Array(list.length);
      for (const id of always) found[id] = 1;
      let remaining = list.length - always.length;
      let s = 0;
      for (let i = 0; i < bytes.length && remaining > 0; i++) {
        s = delta[s + bytes[i]!]!;
        if (terminal[s >> 8] === 1) {
          for (const id of outputs[s >> 8]!) {
            if (found[id] === 0) {
              found[id] = 1;
              remaining--;
            }
          }
        }
      }
      return { has: (i) => found[i] === 1 };
    },
  };
}
