// Shared pieces of the CLI tests: snapshot files built from verdicts and policies, manifests,
// and the CLI run as a child process (the launcher, under the running Node).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toJson } from '@bufbuild/protobuf';
import { VerdictSchema, type Verdict } from '@assay/proto';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LAUNCHER = join(repoRoot, 'packages', 'cli', 'bin', 'assay.mjs');
/** `<repo>/../shared/vectors/01-admission-review/real-apiserver-1.28`, or undefined when absent. */
export const REAL_VECTORS: string | undefined = (() => {
  const d = join(repoRoot, '..', 'shared', 'vectors', '01-admission-review', 'real-apiserver-1.28');
  return existsSync(d) ? d : undefined;
})();

// The same verdicts, runtime policies and digests as the admission tests: one decision, two front ends.
export { digestFor, runtimePolicy, verdict } from '../admission/helpers.ts';

export interface SnapshotParts {
  verdicts?: Record<string, Verdict>;
  tags?: Record<string, string>;
  runtimePolicies?: Record<string, unknown>;
  exceptions?: Record<string, unknown>;
  snapshotVersion?: number;
}

/** A snapshot file document, as `assay snapshot` writes it. */
export function snapshotDoc(p: SnapshotParts) {
  return {
    snapshotVersion: p.snapshotVersion ?? 1,
    createdAt: new Date().toISOString(),
    source: 'test',
    verdicts: Object.fromEntries(Object.entries(p.verdicts ?? {}).map(([d, v]) => [d, toJson(VerdictSchema, v)])),
    tags: p.tags ?? {},
    runtimePolicies: p.runtimePolicies ?? {},
    exceptions: p.exceptions ?? {},
  };
}

export async function writeJson(path: string, doc: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(doc, null, 2));
  return path;
}

export function deploymentYaml(name: string, image: string, namespace?: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    `        - name: app`,
    `          image: ${image}`,
    '',
  ].join('\n');
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `assay …` as a child process through its launcher. */
/**
 * Runs the CLI. Offline with an empty vulnerability cache unless `env` says otherwise: a scan
 * without --vulndb would otherwise download osv.dev data into the user's cache.
 */
export function runAssay(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const env = { ...process.env, ASSAY_OFFLINE: '1', ASSAY_CACHE_DIR: join(tmpdir(), `assay-test-no-cache-${process.pid}`), ...opts.env };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [LAUNCHER, ...args], { timeout: 60_000, env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined) : 0;
      if (code === undefined) return reject(err);
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}
