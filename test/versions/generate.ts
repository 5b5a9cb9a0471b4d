// Pseudo-random version strings for cross-checks against the real dpkg and rpm binaries.

// Deterministic generator (no Math.random) so a failure reproduces.
function* rng(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x;
  }
}

/** `count` versions: a number followed by 1-5 pieces from `alphabet`, reproducible from `seed`. */
export function generateVersions(count: number, seed: number, alphabet: string[]): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r.next().value % xs.length]!;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = String(r.next().value % 12);
    const parts = 1 + (r.next().value % 5);
    for (let k = 0; k < parts; k++) s += pick(alphabet);
    out.push(s);
  }
  return out;
}
