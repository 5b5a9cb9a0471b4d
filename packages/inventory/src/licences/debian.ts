// Licence short names as distributions write them, to SPDX ids: Debian DEP-5 (`GPL-2+`,
// `Expat`, `BSD-3-clause`), rpm (`GPLv2+`, `ASL 2.0`), apk and free text (`Apache 2.0`,
// `MIT License`). Only mappings that follow from the name itself: a name that could mean several
// licences (`BSD`, `MIT-like`, `BSD-variant`, `public-domain`) maps to nothing, never a guess.
import { spdxCorrect, spdxId, upgradeId } from './spdx.ts';

const TABLE: Record<string, string> = {
  expat: 'MIT',
  'mit/x11': 'MIT',
  'mit license': 'MIT',
  'asl 2.0': 'Apache-2.0',
  'asl-2.0': 'Apache-2.0',
  'asl 1.1': 'Apache-1.1',
  'apache-2': 'Apache-2.0',
  'apache 2': 'Apache-2.0',
  apache2: 'Apache-2.0',
  // Debian's common-licenses/Artistic is Perl's Artistic License.
  artistic: 'Artistic-1.0-Perl',
  'artistic-1': 'Artistic-1.0',
  'artistic-2': 'Artistic-2.0',
  'bsl-1': 'BSL-1.0',
  boost: 'BSL-1.0',
  'mpl-1.1': 'MPL-1.1',
  'mpl-2': 'MPL-2.0',
  'psf-2': 'PSF-2.0',
  cc0: 'CC0-1.0',
  'zlib/libpng': 'Zlib',
  // The GNU licences themselves: without a version, "any version ever published".
  gpl: 'GPL-1.0-or-later',
  'gpl+': 'GPL-1.0-or-later',
  lgpl: 'LGPL-2.0-or-later',
  'lgpl+': 'LGPL-2.0-or-later',
  gfdl: 'GFDL-1.1-or-later',
  'gfdl+': 'GFDL-1.1-or-later',
  // Debian's `Perl` short name is Perl's dual licence.
  perl: 'Artistic-1.0-Perl OR GPL-1.0-or-later',
};

/** Public domain is recorded, but it is not an SPDX licence. */
export const PUBLIC_DOMAIN = /^(public[- ]domain|pd)$/i;

const GNU_VERSIONS: Record<string, Record<string, string>> = {
  GPL: { '1': '1.0', '2': '2.0', '3': '3.0' },
  AGPL: { '1': '1.0', '3': '3.0' },
  LGPL: { '2': '2.0', '2.1': '2.1', '3': '3.0' },
  GFDL: { '1.1': '1.1', '1.2': '1.2', '1.3': '1.3' },
};

/** GPL-2+, GPLv2+, GPL v2 or later, LGPL-2.1, LGPLv3, GFDL-NIV-1.3+, GPL-3.0+… */
function gnu(s: string): string | undefined {
  const m =
    /^(A?GPL|LGPL|GFDL)(-NIV)?(?:-|\s*v|\s+version\s+|\s+)?(\d(?:\.\d)?)(?:\.0)?(-NIV|-no-invariants?)?(\+|\s*or\s+later|\s*or\s+any\s+later(?:\s+version)?|-or-later|-only)?(-no-invariants?)?$/i.exec(
      s.trim(),
    );
  if (!m) return undefined;
  const fam = m[1]!.toUpperCase();
  const ver = GNU_VERSIONS[fam]?.[m[3]!.replace(/\.0$/, '')];
  if (!ver) return undefined;
  const niv = Boolean(m[2] || m[4] || m[6]) && fam === 'GFDL' ? '-no-invariants' : '';
  const later = m[5] !== undefined && !/only/i.test(m[5]);
  const id = spdxId(`${fam}-${ver}${niv}-${later ? 'or-later' : 'only'}`);
  return id;
}

const FILLER = new Set(['license', 'licence', 'licensed', 'version', 'the', 'v']);
const tokens = (s: string) =>
  s
    .toLowerCase()
    .replace(/v(?=\d)/g, ' ')
    .replace(/(\d)\.0\b/g, '$1')
    .split(/[^a-z0-9]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])/)
    .filter(Boolean);

/**
 * spdx-correct fixes spellings but also guesses (`BSD` → BSD-2-Clause, `GPL-2+` →
 * GPL-2.0-only); its answer is taken only when it names nothing the input did not: every word of
 * the input (bar "licence"/"version") is in the answer, with the same version numbers and the
 * same "or later".
 */
function corrected(s: string): string | undefined {
  const c = spdxCorrect(s, { upgrade: true });
  if (!c) return undefined;
  const have = new Set(tokens(c));
  const words = tokens(s).filter((w) => !FILLER.has(w));
  if (!words.length || !words.every((w) => have.has(w))) return undefined;
  const digits = (xs: Iterable<string>) =>
    [...xs]
      .filter((w) => /^\d+$/.test(w))
      .sort()
      .join(',');
  if (digits(words) !== digits(have)) return undefined;
  if (/(\+|later)/i.test(s) !== /or-later|\+/.test(c)) return undefined;
  return c;
}

/** One licence name (no AND/OR) to an SPDX id or expression, or undefined when unknown. */
export function mapLicenceName(raw: string): string | undefined {
  const s = raw.trim().replace(/\s+/g, ' ');
  if (!s || PUBLIC_DOMAIN.test(s)) return undefined;
  const exact = spdxId(s);
  if (exact) return upgradeId(exact);
  const plus = /^(.+?)\+$/.exec(s);
  if (plus?.[1] && spdxId(plus[1])) return upgradeId(spdxId(plus[1])!, true);
  const t = TABLE[s.toLowerCase()];
  if (t) return t;
  return gnu(s) ?? corrected(s);
}

const EXCEPTIONS: Record<string, string> = {
  bison: 'Bison-exception-2.2',
  'bison-2.2': 'Bison-exception-2.2',
  texinfo: 'Texinfo-exception',
  'linux-syscall-note': 'Linux-syscall-note',
  classpath: 'Classpath-exception-2.0',
  'classpath-2.0': 'Classpath-exception-2.0',
  'gcc-3.1': 'GCC-exception-3.1',
  'gcc-2.0': 'GCC-exception-2.0',
  font: 'Font-exception-2.0',
  libtool: 'Libtool-exception',
  openssl: 'OpenSSL-exception',
  llvm: 'LLVM-exception',
};

/** `Bison exception` (after a GPL-3 base) → `Bison-exception-2.2`; unknown → undefined. */
export function mapException(raw: string, base: string): string | undefined {
  const s = raw
    .trim()
    .replace(/[\s-]+exception$/i, '')
    .toLowerCase();
  if (s === 'autoconf')
    return base.startsWith('GPL-3') ? 'Autoconf-exception-3.0' : base.startsWith('GPL-2') ? 'Autoconf-exception-2.0' : undefined;
  return EXCEPTIONS[s];
}
