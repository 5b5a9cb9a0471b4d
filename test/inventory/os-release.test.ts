import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectOs, osReleaseAnalyzer, parseOsRelease } from '../../packages/inventory/src/os/index.ts';
import { vfs } from './os-support/vectors.ts';

// Realistic release files as the distributions ship them (trimmed to the lines that matter).
const CASES: { name: string; files: Record<string, string>; want: Record<string, string> | undefined }[] = [
  {
    name: 'debian 12 + debian_version point release',
    files: {
      'etc/os-release':
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
      'etc/debian_version': '12.5\n',
    },
    want: { family: 'debian', name: '12.5', codename: 'bookworm' },
  },
  {
    name: 'debian testing (debian_version is a codename)',
    files: {
      'usr/lib/os-release': 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n',
      'etc/debian_version': 'trixie/sid\n',
    },
    want: { family: 'debian', name: 'trixie/sid', codename: 'trixie' },
  },
  { name: 'debian without os-release', files: { 'etc/debian_version': '9.13\n' }, want: { family: 'debian', name: '9.13' } },
  {
    name: 'distroless (gcr.io/distroless/static-debian12)',
    files: {
      'etc/os-release':
        'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n',
      'etc/debian_version': '12.6\n',
      'var/lib/dpkg/status.d/base': 'Package: base-files\n',
    },
    want: { family: 'debian', name: '12.6', codename: 'bookworm', variant: 'distroless' },
  },
  {
    name: 'ubuntu 22.04',
    files: {
      'etc/os-release':
        'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n',
      'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n',
      'etc/debian_version': 'bookworm/sid\n',
    },
    want: { family: 'ubuntu', name: '22.04', codename: 'jammy' },
  },
  {
    name: 'ubuntu 14.04 lsb-release only',
    files: {
      'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION="Ubuntu 14.04.6 LTS"\n',
    },
    want: { family: 'ubuntu', name: '14.04', codename: 'trusty' },
  },
  {
    name: 'alpine 3.20',
    files: {
      'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.1\nPRETTY_NAME="Alpine Linux v3.20"\n',
      'etc/alpine-release': '3.20.1\n',
    },
    want: { family: 'alpine', name: '3.20.1' },
  },
  { name: 'alpine-release only', files: { 'etc/alpine-release': '3.4.6\n' }, want: { family: 'alpine', name: '3.4.6' } },
  {
    name: 'UBI 9 (RHEL)',
    files: {
      'etc/os-release':
        'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n',
      'etc/redhat-release': 'Red Hat Enterprise Linux release 9.4 (Plow)\n',
      'etc/system-release': 'Red Hat Enterprise Linux release 9.4 (Plow)\n',
    },
    want: { family: 'redhat', name: '9.4' },
  },
  {
    name: 'RHEL 6 redhat-release only',
    files: { 'etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n' },
    want: { family: 'redhat', name: '6.10', codename: 'Santiago' },
  },
  {
    name: 'centos 7 (centos-release refines 7 → 7.9.2009)',
    files: {
      'etc/os-release': 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n',
      'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      'etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n',
    },
    want: { family: 'centos', name: '7.9.2009' },
  },
  {
    name: 'centos 6 centos-release only',
    files: { 'etc/centos-release': 'CentOS release 6.10 (Final)\n', 'etc/redhat-release': 'CentOS release 6.10 (Final)\n' },
    want: { family: 'centos', name: '6.10', codename: 'Final' },
  },
  {
    name: 'rocky 9',
    files: {
      'etc/os-release': 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n',
      'etc/rocky-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
    },
    want: { family: 'rocky', name: '9.3' },
  },
  {
    name: 'almalinux 8',
    files: {
      'etc/os-release':
        'NAME="AlmaLinux"\nVERSION="8.10 (Cerulean Leopard)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n',
      'etc/almalinux-release': 'AlmaLinux release 8.10 (Cerulean Leopard)\n',
    },
    want: { family: 'alma', name: '8.10' },
  },
  {
    name: 'almalinux-release only',
    files: { 'etc/almalinux-release': 'AlmaLinux release 9.4 (Seafoam Ocelot)\n' },
    want: { family: 'alma', name: '9.4', codename: 'Seafoam Ocelot' },
  },
  {
    name: 'amazon linux 2023',
    files: {
      'etc/os-release':
        'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPLATFORM_ID="platform:al2023"\n',
      'etc/system-release': 'Amazon Linux release 2023.4.20240513 (Amazon Linux)\n',
    },
    want: { family: 'amazon', name: '2023' },
  },
  {
    name: 'amazon linux 2',
    files: {
      'etc/os-release': 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n',
      'etc/system-release': 'Amazon Linux release 2 (Karoo)\n',
    },
    want: { family: 'amazon', name: '2' },
  },
  {
    name: 'amazon linux 1 system-release only',
    files: { 'etc/system-release': 'Amazon Linux AMI release 2018.03\n' },
    want: { family: 'amazon', name: '2018.03' },
  },
  {
    name: 'opensuse leap 15.5',
    files: {
      'usr/lib/os-release':
        'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n',
    },
    want: { family: 'opensuse-leap', name: '15.5' },
  },
  {
    name: 'opensuse tumbleweed',
    files: { 'etc/os-release': 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\nVERSION_ID="20240601"\n' },
    want: { family: 'opensuse-tumbleweed', name: '20240601' },
  },
  {
    name: 'SLES 15 SP5 (BCI)',
    files: {
      'etc/os-release':
        'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\nID_LIKE="suse"\n',
    },
    want: { family: 'sles', name: '15.5' },
  },
  {
    name: 'SLES 11 SuSE-release',
    files: { 'etc/SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n' },
    want: { family: 'sles', name: '11.4' },
  },
  {
    name: 'openSUSE 13.2 SuSE-release',
    files: { 'etc/SuSE-release': 'openSUSE 13.2 (x86_64)\nVERSION = 13.2\nCODENAME = Harlequin\n' },
    want: { family: 'opensuse-leap', name: '13.2' },
  },
  {
    name: 'wolfi',
    files: { 'etc/os-release': 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\nHOME_URL="https://wolfi.dev"\n' },
    want: { family: 'wolfi', name: '20230201' },
  },
  {
    name: 'chainguard',
    files: {
      'etc/os-release':
        'ID=chainguard\nNAME="Chainguard"\nPRETTY_NAME="Chainguard"\nVERSION_ID="20230214"\nHOME_URL="https://chainguard.dev/"\n',
    },
    want: { family: 'chainguard', name: '20230214' },
  },
  {
    name: 'etc/os-release wins over usr/lib/os-release',
    files: { 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n', 'usr/lib/os-release': 'ID=debian\nVERSION_ID=12\n' },
    want: { family: 'alpine', name: '3.19.1' },
  },
  {
    name: 'unknown ID kept as family',
    files: { 'etc/os-release': 'ID=gentoo\nVERSION_ID=2.15\n' },
    want: { family: 'gentoo', name: '2.15' },
  },
  { name: 'nothing recognisable', files: { 'etc/os-release': '# empty\n' }, want: undefined },
];

test('os detection table', async (t) => {
  for (const c of CASES) {
    await t.test(c.name, async () => {
      for (const p of Object.keys(c.files)) assert.ok(osReleaseAnalyzer.required(p, { size: 1, mode: 0o644 }), p);
      const r = await osReleaseAnalyzer.analyzeGroup(vfs(c.files), { layerDigest: 'l' });
      assert.deepEqual(r?.os ? { ...r.os } : undefined, c.want);
    });
  }
});

test('required() is exact, status.d alone yields nothing, quoting rules', async () => {
  assert.equal(osReleaseAnalyzer.required('etc/os-release.bak', { size: 1, mode: 0o644 }), false);
  assert.equal(osReleaseAnalyzer.required('usr/etc/os-release', { size: 1, mode: 0o644 }), false);
  assert.equal(
    await osReleaseAnalyzer.analyzeGroup(vfs({ 'var/lib/dpkg/status.d/base': 'Package: base-files\n' }), { layerDigest: 'l' }),
    undefined,
  );
  assert.deepEqual(parseOsRelease('A="x \\"y\\""\nB=\'z\'\n# c\nC=plain\nbroken\n'), { A: 'x "y"', B: 'z', C: 'plain' });
  assert.equal(detectOs(vfs({})), undefined);
});

test('osAnalyzers() registers cleanly and each file reaches exactly the right analyzer', async () => {
  const { AnalyzerRegistry } = await import('../../packages/inventory/src/analyzer.ts');
  const { osAnalyzers } = await import('../../packages/inventory/src/ospkg/index.ts');
  const reg = new AnalyzerRegistry(osAnalyzers());
  // Which analyzers, not their versions (those are bumped as outputs change).
  assert.deepEqual(Object.keys(reg.versions()), ['apk', 'dpkg', 'opkg', 'os-release', 'rpm-bdb', 'rpm-ndb', 'rpm-sqlite', 'rpmqa']);
  const who = (p: string) => reg.wanting(p, { size: 10, mode: 0o644 }).map((a) => a.type);
  assert.deepEqual(who('var/lib/dpkg/status'), ['dpkg']);
  assert.deepEqual(who('var/lib/dpkg/status.d/base'), ['os-release', 'dpkg']);
  assert.deepEqual(who('lib/apk/db/installed'), ['apk']);
  assert.deepEqual(who('var/lib/rpm/Packages'), ['rpm-bdb']);
  assert.deepEqual(who('usr/lib/sysimage/rpm/Packages.db'), ['rpm-ndb']);
  assert.deepEqual(who('usr/lib/sysimage/rpm/rpmdb.sqlite'), ['rpm-sqlite']);
  assert.deepEqual(who('etc/os-release'), ['os-release']);
  assert.deepEqual(who('usr/bin/bash'), []);
  for (const a of reg.analyzers) if (a.type.startsWith('rpm-')) assert.ok((a.maxFileSize ?? 0) >= 512 * 1024 * 1024);
});
