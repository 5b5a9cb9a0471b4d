/** A version ordering for one packaging ecosystem. */
export interface VersionScheme {
  readonly name: string;
  /** Negative, zero or positive, like a sort comparator. Never throws. */
  compare(a: string, b: string): number;
  /** Whether the string is a well-formed version of this scheme. */
  isValid(v: string): boolean;
}

/** OSV ecosystem name, optionally with a ':<release>' suffix ('Debian:12', 'Alpine:v3.20'). */
export type Ecosystem = string;

export class UnknownEcosystemError extends Error {
  readonly ecosystem: string;
  constructor(ecosystem: string) {
    super(`no version scheme for ecosystem '${ecosystem}'`);
    this.name = 'UnknownEcosystemError';
    this.ecosystem = ecosystem;
  }
}

/** Clamp any comparator result to -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
