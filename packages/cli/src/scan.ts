// `assay scan`: the scanner's own scan (scanImage, the default analyzers, buildReport) run
// locally on a registry image, an OCI layout or a docker save archive; optionally matched against
// a local vulnerability database and judged against local policies (@assay/policy-engine, the
// judgement the policy service makes).
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { applicablePolicies, evaluateImage, type PolicyRef } from '@assay/policy-engine';
import {
  analyzerVersionsOf,
  buildReport,
  DEFAULT_LIMITS,
  defaultAnalyzerRegistry,
  matchReport,
  newScanState,
  scanFilesystem,
  scanImage,
  type FilesystemMode,
  type PlatformManifest,
  type ScanProgressUpdate,
  type ScanTarget,
} from '@assay/scan-engine';
import { SEVERITIES, validateImagePolicy, ValidationError, type ScanReport, type Severity } from '@assay/domain';
import { dbPath, openDatabase } from '@assay/vulndb';
import { CLAMD_ADDRESS_EXPECTED, createClamdClient, DEFAULT_MAX_STREAM_BYTES, parseClamdAddress, type ClamdClient } from '@assay/clamav';
import { loadTrustedRoots, verifyImageTrust, type DiscoverySubject, type TrustedRoots } from '@assay/trust';
import { parseCommandArgs } from './args.ts';
import { filesystemDirectory, openImage, type ResolvedImage } from './image-source.ts';
import { matchWithCachedData, osvBaseUrl, vulnDbCacheDir } from './vuln-data.ts';
import { CliError, EXIT_ALLOWED, EXIT_DENIED, type CliIo } from './io.ts';
import { hasTrustFlags, TRUST_FLAGS_USAGE, trustOptions, trustRequest } from './trust-flags.ts';
import { trustLines } from './verify.ts';
import { colorFor, painter } from './color.ts';
import { evaluationText, formatReport, parseFormat } from './scan-output.ts';
import { applyVex, loadVexFiles } from './vex-flag.ts';

export const SCAN_USAGE = `Usage: assay scan <image> [options]

Scans an image locally with the scanner's analyzers. <image> is one of
  registry/repository:tag or @sha256:…   an image in a registry (plain HTTP for loopback hosts)
  <dir>[:<tag>]                          an OCI image layout directory (oci-layout, index.json)
  <file.tar>[:<tag>]                     a \`docker save\` archive
  <dir>                                  any other directory: a project (lockfiles, packages,
                                         secrets, licences; OS packages too when present)
  --rootfs <dir>                         an unpacked root filesystem (os-release, OS packages)
A directory's report names image local/filesystem/<name> (or local/rootfs/<name>) and, as its
digest, the sha256 of the directory as one canonical tar layer (paths, modes, links, contents).
Symlinks are recorded, never followed; devices, FIFOs and sockets are skipped; .git is skipped.

Options:
  --format table|json|cyclonedx|sarif  output (default table); -f
  --vulndb <file|dir>      match packages against this vulnerability database (vulndb.sqlite)
                           without it: the database in the cache ($ASSAY_CACHE_DIR/vulndb, else
                           ~/.cache/assay/vulndb), built from osv.dev's exports for the
                           ecosystems found when it lacks them or is a day old
  --offline                never download vulnerability data (also ASSAY_OFFLINE=1)
  --osv-url <url>          where osv.dev's exports are (<url>/<Ecosystem>/all.zip; also ASSAY_OSV_URL)
  --policy <file.yaml>     judge the report against these image assurance policies
  --vex <file>             OpenVEX or CycloneDX VEX: findings it says are not affected or fixed
                           are suppressed (listed apart; repeatable)
  --severity <level>       with --exit-code: also fail on a vulnerability at or above this level
  --list-packages          list the packages found (by default the table shows their count)
  --exit-code              exit 1 when the image is non-compliant (or --severity is reached)
  --exit-on-eol <code>     exit with <code> when the OS is past its end of security support
                           (the database's end-of-life table; checked before --exit-code)
  --platform os/arch       platform of a multi-platform image (default linux/<this machine>)
  --clamd <address>        scan files for malware with this clamd (host:port or unix:/path/clamd.sock)
  --insecure               plain HTTP to the registry
  --username <u> --password-file <f>   registry credentials
  -h, --help               this help

Signatures and attestations of a registry image are looked for and verified too (the report's
trust section); with --verify-… flags the image must be signed as they say (as \`assay verify\`):
${TRUST_FLAGS_USAGE('verify-')}
Progress goes to stderr on a terminal. Exit status: 0 scanned (compliant), 1 non-compliant with
--exit-code, 2 error (one line on stderr).
`;

function hostArch(): string {
  return (
    ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ??
    process.arch
  );
}

/** Image assurance policies from a YAML file: `assay.dev/v1` ImageAssurancePolicy documents (as the policy API exports them) or bare policy documents. */
export function parsePolicyFile(text: string, name: string): PolicyRef[] {
  const refs: PolicyRef[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${name}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new CliError(`${where}: not valid YAML: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as Record<string, unknown> | null;
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) throw new CliError(`${where}: expected a mapping`);
    // Runtime policies and exceptions in an exported file do not judge images: skipped.
    if (v.kind !== undefined && v.kind !== 'ImageAssurancePolicy') return;
    const id = typeof v.id === 'string' ? v.id : `policy-${i + 1}`;
    const spec = v.kind === 'ImageAssurancePolicy' ? v.spec : v;
    try {
      refs.push({ id, version: 1, policy: validateImagePolicy(spec, id) });
    } catch (err) {
      if (err instanceof ValidationError) throw new CliError(`${where}: ${err.message}`);
      throw err;
    }
  });
  if (refs.length === 0) throw new CliError(`${name}: no image assurance policy in it`);
  return refs;
}

export interface LocalScanOptions {
  platform?: { os: string; architecture: string; variant?: string | undefined };
  onProgress?: (p: ScanProgressUpdate) => void;
  insecure?: boolean;
  credentials?: { username: string; password: string } | undefined;
  /** clamd for the malware analyzer; without it the report says malware scanning was not done. */
  malware?: { client: ClamdClient; maxStreamBytes: number } | undefined;
  /** Roots keyless certificates are verified against; signatures are looked for (registry images) only with them. */
  trustRoots?: TrustedRoots | undefined;
  /** `arg` is an unpacked root filesystem (`--rootfs`). */
  rootfs?: boolean;
}

/** A directory (a project, or a root filesystem) scanned through the image analyzers as one layer. */
async function scanDirectory(dir: string, mode: FilesystemMode, opts: LocalScanOptions): Promise<ScanReport> {
  const analyzers = defaultAnalyzerRegistry();
  const state = newScanState();
  const { target } = await scanFilesystem(
    {
      analyzers,
      limits: DEFAULT_LIMITS,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      malwareDisabledWarning: opts.malware
        ? 'malware scanning not done: --clamd scans image layers, not directories'
        : 'malware scanning not done (no --clamd given)',
    },
    dir,
    mode,
    state,
  );
  return buildReport(target, analyzerVersionsOf(analyzers), state);
}

/** The manifest of an index for the wanted platform, or an error naming the platforms it has. */
function platformOf(
  arg: string,
  manifests: readonly PlatformManifest[],
  want: NonNullable<LocalScanOptions['platform']>,
): PlatformManifest {
  const child = manifests.find(
    (m) =>
      m.platform?.os === want.os && m.platform.architecture === want.architecture && (!want.variant || m.platform.variant === want.variant),
  );
  if (child) return child;
  const have = manifests
    .map((m) =>
      m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : m.digest,
    )
    .join(', ');
  throw new CliError(`${arg} has no ${want.os}/${want.architecture} image (has: ${have}); choose one with --platform`);
}

/** Scans one image (an index: the manifest for the platform); the report as the scanner would build it, without vulnerabilities. */
export async function scanLocal(arg: string, opts: LocalScanOptions = {}): Promise<ScanReport> {
  if (opts.rootfs) {
    if (!existsSync(arg) || !statSync(arg).isDirectory()) throw new CliError(`--rootfs ${arg}: not a directory`);
    return scanDirectory(arg, 'rootfs', opts);
  }
  const dir = filesystemDirectory(arg);
  if (dir !== undefined) return scanDirectory(dir, 'directory', opts);
  const img: ResolvedImage = await openImage(arg, {
    ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}),
    credentials: opts.credentials,
  });
  try {
    const analyzers = defaultAnalyzerRegistry();
    const versions = analyzerVersionsOf(analyzers);
    // A tag is resolved to its digest first: the report names the manifest scanned.
    const top = await img.source.getManifest(img.repository, img.reference);
    let target: ScanTarget = {
      registry: img.registry,
      repository: img.repository,
      digest: top.digest,
      ...(img.tag ? { tag: img.tag } : {}),
      mediaType: top.mediaType,
    };
    const deps = {
      analyzers,
      clientFor: () => img.source,
      limits: DEFAULT_LIMITS,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.malware ? { malware: opts.malware } : {}),
      // The scanner's wording names its environment variable; here the setting is --clamd.
      malwareDisabledWarning: 'malware scanning not done (no --clamd given)',
    };
    let result = await scanImage(deps, target, newScanState());
    if (result.kind === 'index') {
      const child = platformOf(arg, result.manifests, opts.platform ?? { os: 'linux', architecture: hostArch() });
      target = {
        ...target,
        digest: child.digest,
        mediaType: child.mediaType,
        ...(child.platform ? { platform: child.platform } : {}),
        index: top.digest,
      };
      result = await scanImage(deps, target, newScanState());
      // An index of indexes is not followed further.
      if (result.kind === 'index') throw new Error(`${child.digest} is an image index`);
    }
    const report = buildReport(target, versions, result.state);
    if (!opts.trustRoots || !img.client) return report;
    // As the scanner does: the image's own digest, and the index it was reached through.
    const subjects: DiscoverySubject[] = [{ digest: target.digest, scope: 'image' }];
    if (target.index) subjects.push({ digest: target.index, scope: 'index' });
    return { ...report, trust: await verifyImageTrust(img.client, target.repository, subjects, { roots: opts.trustRoots }) };
  } finally {
    await img.close();
  }
}

/** The report matched against a database file (or a directory holding vulndb.sqlite). */
export function matchVulnerabilities(report: ScanReport, dbArg: string): ScanReport {
  const file = existsSync(dbArg) && statSync(dbArg).isDirectory() ? dbPath(dbArg) : dbArg;
  if (!existsSync(file)) throw new CliError(`--vulndb ${dbArg}: no such file`);
  let db;
  try {
    db = openDatabase(file);
  } catch (err) {
    throw new CliError(`--vulndb ${dbArg}: ${(err as Error).message}`);
  }
  try {
    return matchReport(report, db);
  } finally {
    db.close();
  }
}

export async function scanCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
    vulndb: { type: 'string' },
    policy: { type: 'string' },
    vex: { type: 'string', multiple: true },
    severity: { type: 'string' },
    'exit-code': { type: 'boolean' },
    'exit-on-eol': { type: 'string' },
    'list-packages': { type: 'boolean' },
    platform: { type: 'string' },
    clamd: { type: 'string' },
    insecure: { type: 'boolean' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    rootfs: { type: 'boolean' },
    offline: { type: 'boolean' },
    'osv-url': { type: 'string' },
    ...trustOptions('verify-'),
  });
  const v = parsed.values;
  if (v.help) {
    io.stdout(SCAN_USAGE);
    return EXIT_ALLOWED;
  }
  if (parsed.positionals.length !== 1) throw new CliError(`expected one image, got ${parsed.positionals.length}; see assay scan --help`);
  const env = io.env ?? process.env;
  // Checked before the scan: a bad URL fails fast.
  const osvUrl = v.vulndb === undefined ? osvBaseUrl(v['osv-url'], env) : undefined;
  const arg = parsed.positionals[0]!;
  const eolCode = exitOnEol(v['exit-on-eol']);
  const format = parseFormat(v.format ?? v.output);
  const severity = v.severity as Severity | undefined;
  if (severity !== undefined && !SEVERITIES.includes(severity)) throw new CliError(`--severity must be one of ${SEVERITIES.join(', ')}`);
  let platform;
  if (v.platform !== undefined) {
    const [os, architecture, variant] = v.platform.split('/');
    if (!os || !architecture) throw new CliError(`--platform must be os/arch[/variant], got ${JSON.stringify(v.platform)}`);
    platform = { os, architecture, ...(variant ? { variant } : {}) };
  }
  let malware: LocalScanOptions['malware'];
  if (v.clamd !== undefined) {
    const address = parseClamdAddress(v.clamd);
    if (!address) throw new CliError(`--clamd must be ${CLAMD_ADDRESS_EXPECTED}, got ${JSON.stringify(v.clamd)}`);
    const client = createClamdClient({ address });
    // Asked before the scan: a clamd that does not answer fails fast, not after every layer.
    await client.ping().catch((err: Error) => {
      throw new CliError(`--clamd ${v.clamd}: ${err.message}`);
    });
    malware = { client, maxStreamBytes: DEFAULT_MAX_STREAM_BYTES };
  }
  if ((v.username === undefined) !== (v['password-file'] === undefined)) throw new CliError('--username and --password-file go together');
  let credentials;
  if (v.username !== undefined) {
    const password = (
      await readFile(v['password-file']!, 'utf8').catch((err: Error) => {
        throw new CliError(`--password-file: ${err.message}`);
      })
    ).replace(/\r?\n$/, '');
    credentials = { username: v.username, password };
  }
  // Policies are read before the scan: a bad policy file fails fast.
  const policies =
    v.policy === undefined
      ? undefined
      : parsePolicyFile(
          await readFile(v.policy, 'utf8').catch((err: Error) => {
            throw new CliError(`--policy: ${err.message}`);
          }),
          v.policy,
        );
  // VEX files too: a missing or malformed one is an error before the scan, as with Trivy.
  const vexDocuments = await loadVexFiles(v.vex ?? []);

  const verify = hasTrustFlags(v, 'verify-') ? await trustRequest(v, 'verify-') : undefined;
  const trustRoots = verify?.roots ?? loadTrustedRoots({ publicGood: true });

  // Progress only on a terminal: one line rewritten in place.
  const tty = io.stderrIsTTY === true;
  let lastLine = '';
  const onProgress = tty
    ? (p: ScanProgressUpdate) => {
        const layers = p.layersTotal > 0 ? ` ${p.layersDone}/${p.layersTotal} layers` : '';
        const line = `scanning ${arg}: ${p.stage}${layers}${p.bytesDone ? ` ${(p.bytesDone / 1048576).toFixed(1)} MiB` : ''}`;
        if (line !== lastLine) io.stderr(`\r\x1b[K${line}`);
        lastLine = line;
      }
    : undefined;
  let report: ScanReport;
  try {
    report = await scanLocal(arg, {
      ...(platform ? { platform } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(v.insecure ? { insecure: true } : {}),
      credentials,
      malware,
      trustRoots,
      ...(v.rootfs ? { rootfs: true } : {}),
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${arg}: ${(err as Error).message}`);
  } finally {
    if (tty && lastLine) io.stderr('\r\x1b[K');
  }
  if (v.vulndb !== undefined) report = matchVulnerabilities(report, v.vulndb);
  else {
    const offline = v.offline === true || /^(1|true|yes)$/i.test(env.ASSAY_OFFLINE ?? '');
    report = await matchWithCachedData(report, { dir: vulnDbCacheDir(env), baseUrl: osvUrl!, offline }, (line) => io.stderr(`${line}\n`));
  }
  report = applyVex(report, vexDocuments);
  // Colour only in the table on a terminal; JSON, CycloneDX and SARIF stay plain.
  const paint = painter(format === 'table' && colorFor(io));

  // The verdicts are decided before printing: in the table they come first, under the image.
  let code = EXIT_ALLOWED;
  const verdict: string[] = [];
  if (verify) {
    const judged = [...applicablePolicies(report, [verify.policy])];
    const e = evaluateImage(report, judged, [], new Date());
    verdict.push(`Signature: ${e.compliant ? paint.good('VERIFIED') : paint.bad('NOT VERIFIED')} against ${verify.signer}\n`);
    for (const r of e.reasons) verdict.push(`  ${paint.bad('FAIL')} ${r.control}: ${r.message}\n`);
    if (!e.compliant && format === 'table' && report.trust) verdict.push(`${trustLines(report.trust).join('\n')}\n`);
    if (!e.compliant && v['exit-code']) code = EXIT_DENIED;
  }
  if (policies) {
    const applicable = applicablePolicies(report, policies);
    const evaluation = evaluateImage(report, applicable, [], new Date(), { vexAlways: vexDocuments });
    verdict.push(evaluationText(evaluation, applicable.length, paint));
    if (!evaluation.compliant && v['exit-code']) code = EXIT_DENIED;
  }
  if (format === 'table') {
    io.stdout(formatReport(report, format, { listPackages: v['list-packages'] === true, verdict: verdict.join(''), paint }));
  } else {
    io.stdout(formatReport(report, format));
    // Beside machine-readable output the verdict goes to stderr.
    if (verdict.length > 0) io.stderr(verdict.join(''));
  }
  if (severity !== undefined) {
    const limit = SEVERITIES.indexOf(severity);
    const over = (report.vulnerabilities ?? []).filter((x) => !x.vex && SEVERITIES.indexOf(x.severity as Severity) <= limit);
    if (over.length > 0) {
      io.stderr(`assay scan: ${over.length} ${over.length === 1 ? 'vulnerability' : 'vulnerabilities'} at or above ${severity}\n`);
      if (v['exit-code']) code = EXIT_DENIED;
    }
  }
  // As Trivy's --exit-on-eol: an end-of-life OS decides the exit status before anything else.
  if (eolCode !== undefined && report.os?.eolReached === true) {
    const os = `${report.os.family} ${report.os.name ?? ''}`.trim();
    io.stderr(`assay scan: ${os} reached its end of life on ${report.os.eol}: exit status ${eolCode} (--exit-on-eol)\n`);
    code = eolCode;
  }
  return code;
}

/** `--exit-on-eol <code>`: an exit status 0–255 (undefined when not given). */
function exitOnEol(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,3}$/.test(value) || Number(value) > 255)
    throw new CliError(`--exit-on-eol must be an exit status 0-255, got ${JSON.stringify(value)}`);
  return Number(value);
}
