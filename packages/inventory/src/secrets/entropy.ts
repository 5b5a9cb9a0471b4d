// Shannon entropy of a candidate secret, the gate gitleaks puts after its regexes: a value that
// has the grammar of a token but is made of few distinct symbols (`ghp_xxxx…`, `AKIAXXXX…`,
// `0000…`) is a placeholder, not a credential. Rules carry their own threshold (./rule-spec.ts)
// because the alphabet and length of the secret part differ from one token family to another.

/** Bits per symbol of `s` (one symbol per UTF-16 unit; the scanner works on latin1 bytes). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
