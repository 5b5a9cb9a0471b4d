// Licence normalisation to SPDX: valid expressions, Debian DEP-5 short names, rpm and apk
// forms, free-text spellings; unknown names stay unknown (never guessed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Package } from '../../packages/inventory/src/analyzer.ts';
import { licenceCategory, licenceFindings, normaliseLicence } from '../../packages/inventory/src/licences/index.ts';

const spdx = (raw: string) => normaliseLicence(raw).spdx;

test('valid SPDX expressions pass; deprecated GNU ids are upgraded', () => {
  for (const s of [
    'MIT',
    'Apache-2.0',
    'GPL-2.0-or-later',
    'MIT AND BSD-3-Clause',
    '(MIT OR Apache-2.0) AND Zlib',
    'GPL-2.0-only WITH Classpath-exception-2.0',
  ]) {
    assert.deepEqual(normaliseLicence(s), { spdx: s.replace(/^\((.*)\) AND Zlib$/, '($1) AND Zlib'), raw: s, known: true }, s);
  }
  assert.equal(spdx('GPL-2.0'), 'GPL-2.0-only');
  assert.equal(spdx('GPL-2.0+'), 'GPL-2.0-or-later');
  assert.equal(spdx('LGPL-2.1+'), 'LGPL-2.1-or-later');
});

test('Debian DEP-5 short names', () => {
  const cases: Record<string, string> = {
    'GPL-2+': 'GPL-2.0-or-later',
    'GPL-2': 'GPL-2.0-only',
    'GPL-3+': 'GPL-3.0-or-later',
    'LGPL-2.1+': 'LGPL-2.1-or-later',
    'LGPL-2+': 'LGPL-2.0-or-later',
    'BSD-3-clause': 'BSD-3-Clause',
    'BSD-2-clause': 'BSD-2-Clause',
    Expat: 'MIT',
    Artistic: 'Artistic-1.0-Perl',
    'Artistic-2': 'Artistic-2.0',
    'Apache-2': 'Apache-2.0',
    'GFDL-NIV-1.3+': 'GFDL-1.3-no-invariants-or-later',
    'GPL-1+ or Artistic': 'GPL-1.0-or-later OR Artistic-1.0-Perl',
    'GPL-1+ or Artistic, and Expat': '(GPL-1.0-or-later OR Artistic-1.0-Perl) AND MIT',
    'GPL-3+ with Bison exception': 'GPL-3.0-or-later WITH Bison-exception-2.2',
    'GPL-3+-WITH-BISON-EXCEPTION': 'GPL-3.0-or-later WITH Bison-exception-2.2',
    'GPL-2+ with Texinfo exception': 'GPL-2.0-or-later WITH Texinfo-exception',
    'GPL-2 with Linux-syscall-note exception': 'GPL-2.0-only WITH Linux-syscall-note',
    'LGPL-3+ or GPL-2+': 'LGPL-3.0-or-later OR GPL-2.0-or-later',
    'ISC and/or LGPL-2.1+': 'ISC OR LGPL-2.1-or-later',
  };
  for (const [raw, want] of Object.entries(cases)) assert.equal(spdx(raw), want, raw);
});

test('rpm, apk and free-text forms', () => {
  const cases: Record<string, string> = {
    'GPLv2+ and LGPLv2+': 'GPL-2.0-or-later AND LGPL-2.0-or-later',
    'ASL 2.0': 'Apache-2.0',
    GPLv3: 'GPL-3.0-only',
    'GPLv2 or GPLv3': 'GPL-2.0-only OR GPL-3.0-only',
    '(GPLv2+ or MIT) and BSD-3-Clause': '(GPL-2.0-or-later OR MIT) AND BSD-3-Clause',
    'Apache 2.0': 'Apache-2.0',
    'MIT License': 'MIT',
    'Apache License 2.0': 'Apache-2.0',
    'MIT AND BSD-3-Clause': 'MIT AND BSD-3-Clause',
    'GPL-2.0-or-later WITH Linux-syscall-note': 'GPL-2.0-or-later WITH Linux-syscall-note',
  };
  for (const [raw, want] of Object.entries(cases)) assert.equal(spdx(raw), want, raw);
});

test('ambiguous or custom names are unknown, never guessed', () => {
  for (const raw of [
    'public-domain',
    'BSD',
    'MIT-like',
    'BSD-variant',
    'permissive',
    'BSLA',
    'HSIEH-BSD',
    'DONT-CHANGE-THE-GPL',
    'GPL-1+ or Artistic, and BSD-4-clause-POWERDOG',
    'LicenseRef-custom',
    '',
    'Proprietary',
  ]) {
    const n = normaliseLicence(raw);
    assert.equal(n.known, false, raw);
    assert.equal(n.spdx, undefined, raw);
    assert.equal(n.raw, raw);
  }
});

test('categories and licence findings', () => {
  assert.equal(licenceCategory('MIT'), 'notice');
  assert.equal(licenceCategory('GPL-2.0-or-later'), 'restricted');
  assert.equal(licenceCategory('AGPL-3.0-only'), 'forbidden');
  assert.equal(licenceCategory('MIT OR GPL-2.0-only'), 'notice');
  assert.equal(licenceCategory('MIT AND GPL-2.0-only'), 'restricted');
  assert.equal(licenceCategory('CC0-1.0'), 'unencumbered');
  const pkgs: Package[] = [
    { name: 'apt', version: '2.6.1', type: 'deb', purl: 'pkg:deb/debian/apt@2.6.1', licences: ['GPL-2+', 'GPLv2+', 'public-domain'] },
    { name: 'left-pad', version: '1.3.0', type: 'npm', purl: 'pkg:npm/left-pad@1.3.0', licences: ['WTFPL'] },
    { name: 'nolicence', version: '1', type: 'deb', purl: 'pkg:deb/debian/nolicence@1' },
  ];
  assert.deepEqual(licenceFindings(pkgs), [
    {
      package: 'apt@2.6.1',
      purl: 'pkg:deb/debian/apt@2.6.1',
      licence: 'GPL-2.0-or-later',
      category: 'restricted',
      known: true,
      raw: 'GPL-2+',
    },
    { package: 'apt@2.6.1', purl: 'pkg:deb/debian/apt@2.6.1', licence: 'public-domain', known: false },
    { package: 'left-pad@1.3.0', purl: 'pkg:npm/left-pad@1.3.0', licence: 'WTFPL', category: 'forbidden', known: true },
    // A package that records no licence is reported unknown, not left out and not guessed.
    { package: 'nolicence@1', purl: 'pkg:deb/debian/nolicence@1', licence: 'unknown', known: false },
  ]);
});
