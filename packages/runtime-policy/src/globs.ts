// Glob matching for scopes, allow lists and exemptions (picomatch, compiled once per pattern).
import picomatch from 'picomatch';

const cache = new Map<string, (s: string) => boolean>();

function matcher(pattern: string): (s: string) => boolean {
  let m = cache.get(pattern);
  if (!m) {
    // dot: `.` in hostnames and paths is ordinary; nocase off: registries normalise case.
    m = picomatch(pattern, { dot: true });
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, m);
  }
  return m;
}

export function globMatch(pattern: string, value: string): boolean {
  return matcher(pattern)(value);
}

export function anyGlob(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matcher(p)(value));
}
