// End of security support per OS release: the table shipped with the package
// (data/eol.json, regenerated from endoflife.date's public data by scripts/update-eol.ts) is
// copied into every database built, so a scanner learns new dates with its next database. The
// lookup maps a detected OS (inventory's family names, the os-release version) to its release
// cycle: `debian 12.5` → `12`, `alpine 3.20.1` → `3.20`, `ubuntu 22.04` → `22.04`.
import { readFile } from 'node:fs/promises';

export interface EolTable {
  source: string;
  /** family → release cycle → YYYY-MM-DD */
  families: Record<string, { product?: string; field?: string; releases: Record<string, string> }>;
}

export const DEFAULT_EOL_TABLE = new URL('../data/eol.json', import.meta.url);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function readEolTable(file: string | URL = DEFAULT_EOL_TABLE): Promise<EolTable> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Partial<EolTable>;
  if (typeof json.source !== 'string' || typeof json.families !== 'object' || json.families === null)
    throw new Error(`${String(file)}: not an end-of-life table ({source, families})`);
  return json as EolTable;
}

/** Every (family, release, date) row of a table; malformed dates are left out. */
export function eolRows(table: EolTable): { family: string; release: string; eol: string }[] {
  const out: { family: string; release: string; eol: string }[] = [];
  for (const [family, f] of Object.entries(table.families)) {
    for (const [release, eol] of Object.entries(f.releases ?? {})) if (DATE.test(eol)) out.push({ family, release, eol });
  }
  return out;
}

/** Other names OS detection may give a family (os-release ids, older spellings). */
const FAMILY_ALIASES: Record<string, string> = {
  rhel: 'redhat',
  almalinux: 'alma',
  opensuse: 'opensuse-leap',
  amzn: 'amazon',
  ol: 'oracle',
  sled: 'sles',
};

export function eolFamily(family: string): string {
  const f = family.toLowerCase();
  return FAMILY_ALIASES[f] ?? f;
}

/**
 * The release cycles a version may belong to, most specific first: the version as given, then
 * `major.minor`, then `major` (`3.20.1` → `3.20.1`, `3.20`, `3`). The first one the table has wins.
 */
export function releaseCandidates(version: string): string[] {
  const v = version.trim().replace(/^v/i, '');
  const parts = v.split('.');
  return [...new Set([v, parts.slice(0, 2).join('.'), parts[0] ?? v])].filter((x) => x !== '');
}
