// Licence categories, as Trivy reports them (pkg/licensing/category.go, after Google's
// licenseclassifier): from forbidden to unencumbered. An expression takes the strictest
// category of an AND and the most lenient of an OR (the licensee chooses); unknown licences
// have no category.
import { spdxParse, type SpdxParsed } from './spdx.ts';

export type LicenceCategory = 'forbidden' | 'restricted' | 'reciprocal' | 'notice' | 'permissive' | 'unencumbered';
const ORDER: LicenceCategory[] = ['unencumbered', 'permissive', 'notice', 'reciprocal', 'restricted', 'forbidden'];

const RULES: [RegExp, LicenceCategory][] = [
  [/^(AGPL-|CC-BY-NC|Commons-Clause|SSPL-|WTFPL$|BUSL-)/, 'forbidden'],
  [/^(GPL-|LGPL-|BCL$|CC-BY-ND-|CC-BY-SA-|NPL-|OSL-|QPL-|Sleepycat$)/, 'restricted'],
  [/^(APSL-|CDDL-|CPL-|EPL-|EUPL-|FreeImage$|IPL-|MPL-|MS-RL$|Ruby$)/, 'reciprocal'],
  [
    /^(AFL-|Apache-|Artistic-|BSD-|BSL-1\.0$|CC-BY-\d|FTL$|ISC$|ImageMagick$|Libpng$|libpng-|MIT|MS-PL$|NCSA$|OpenSSL$|PHP-|PIL$|Python-|PSF-|Unicode-|W3C|X11|Xnet$|ZPL-|Zlib$|curl$|FSFAP$|FSFULLR?$|Beerware$|Latex2e$|Kazlib$|HPND)/,
    'notice',
  ],
  [/^(CC0-1\.0|Unlicense|0BSD)$/, 'unencumbered'],
];

function ofId(id: string): LicenceCategory | undefined {
  for (const [re, c] of RULES) if (re.test(id)) return c;
  return undefined;
}

function ofTree(t: SpdxParsed): LicenceCategory | undefined {
  if ('license' in t) return ofId(t.license);
  const l = ofTree(t.left);
  const r = ofTree(t.right);
  if (!l || !r) return undefined;
  const [a, b] = [ORDER.indexOf(l), ORDER.indexOf(r)];
  return ORDER[t.conjunction === 'and' ? Math.max(a, b) : Math.min(a, b)];
}

/** Category of an SPDX id or expression; undefined when any part is uncategorised. */
export function licenceCategory(spdx: string): LicenceCategory | undefined {
  try {
    return ofTree(spdxParse(spdx));
  } catch {
    return undefined;
  }
}
