// Database versions are build timestamps (`20261126T153351Z`): they sort as strings, and a
// scanner only ever moves forward. Custom versions compare digit runs numerically.
export function newDbVersion(now: Date = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** < 0 when a is older than b, 0 when equal, > 0 when newer. */
export function compareDbVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
