// Regenerates data/eol.json from a checkout of endoflife.date's public data
// (https://github.com/endoflife-date/endoflife.date, MIT): the `releases` of each product's front
// matter, reduced to one end-of-life date per release. Run it when distributions announce dates:
//   node packages/vulndb/scripts/update-eol.ts <endoflife.date checkout> [commit]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Our OS family (inventory's names) → the endoflife.date product and which date ends the free
 * security fixes the matched advisories describe: Debian's LTS (`eoes`, community DLAs are in its
 * OSV feed), everyone else's `eol` (paid extended support — Ubuntu Pro, RHEL ELS, SLES LTSS — is
 * not what the database matches).
 */
const FAMILIES: Record<string, { product: string; field: 'eol' | 'eoes' }> = {
  debian: { product: 'debian', field: 'eoes' },
  ubuntu: { product: 'ubuntu', field: 'eol' },
  alpine: { product: 'alpine-linux', field: 'eol' },
  redhat: { product: 'rhel', field: 'eol' },
  rocky: { product: 'rocky-linux', field: 'eol' },
  alma: { product: 'almalinux', field: 'eol' },
  centos: { product: 'centos', field: 'eol' },
  oracle: { product: 'oracle-linux', field: 'eol' },
  amazon: { product: 'amazon-linux', field: 'eol' },
  fedora: { product: 'fedora', field: 'eol' },
  sles: { product: 'sles', field: 'eol' },
  'opensuse-leap': { product: 'opensuse', field: 'eol' },
  photon: { product: 'vmware-photon', field: 'eol' },
};

const [checkout, commit] = process.argv.slice(2);
if (!checkout) throw new Error('usage: update-eol.ts <endoflife.date checkout> [commit]');
const families: Record<string, { product: string; field: string; releases: Record<string, string> }> = {};
for (const [family, { product, field }] of Object.entries(FAMILIES)) {
  const text = readFileSync(join(checkout, 'products', `${product}.md`), 'utf8');
  const front = parse(text.split(/^---$/m)[1] ?? '') as { releases: Record<string, unknown>[] };
  const releases: Record<string, string> = {};
  for (const r of front.releases) {
    const date = r[field] ?? r.eol;
    // `false` (no date announced) is left out: no end-of-life is known.
    const iso = date instanceof Date ? date.toISOString().slice(0, 10) : typeof date === 'string' ? date : undefined;
    if (iso && /^\d{4}-\d{2}-\d{2}$/.test(iso)) releases[String(r.releaseCycle)] = iso;
  }
  families[family] = { product, field, releases };
}
const out = {
  source: `endoflife.date (https://github.com/endoflife-date/endoflife.date${commit ? ` at ${commit}` : ''}, MIT licence)`,
  families,
};
writeFileSync(new URL('../data/eol.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
