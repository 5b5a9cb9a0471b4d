// Console area: the overview. Its counts come from the verdict list's stats (computed from
// memory once per change), the denials from the decision source when this deployment has one,
// and the running non-compliant workloads from the running reports (Kubernetes integration).
import { overviewPage, type DenialRow, type RunningRow } from '@assay/console';
import { Compliance } from '@assay/proto';
import type { PolicyApi } from '../routes/context.ts';
import type { VerdictStats } from '../verdict-list.ts';
import type { ConsoleArea } from './router.ts';

/** Rows of each list on the overview. */
export const OVERVIEW_ROWS = 10;
/** Running workloads listed at most (the rest are counted). */
export const RUNNING_ROWS = 25;

const EMPTY_STATS: VerdictStats = {
  total: 0,
  byCompliance: { compliant: 0, non_compliant: 0, pending: 0, error: 0, unspecified: 0 },
  topControls: [],
  topVulnerabilities: [],
};

function denials(api: PolicyApi): DenialRow[] | undefined {
  if (!api.decisions) return undefined;
  return api.decisions.list({ outcome: 'denied', limit: OVERVIEW_ROWS }).items.map((d) => ({
    at: d.at,
    namespace: d.namespace,
    kind: d.kind,
    name: d.name,
    message: d.message,
    dryRun: d.dryRun,
    images: d.images.map((i) => ({ image: i.image, digest: i.digest, allowed: i.allowed })),
  }));
}

/** Workloads running a non-compliant image, across namespaces (namespace order), the first RUNNING_ROWS kept. */
function running(api: PolicyApi): { rows: RunningRow[]; total: number } | undefined {
  const r = api.running;
  if (!r) return undefined;
  const rows: RunningRow[] = [];
  let total = 0;
  for (const ns of r.namespaces()) {
    for (const w of r.workloads(ns)) {
      if (w.verdict?.compliance !== Compliance.NON_COMPLIANT) continue;
      total++;
      if (rows.length >= RUNNING_ROWS) continue;
      const controls = [...new Set(w.verdict.reasons.filter((x) => !x.auditOnly).map((x) => x.control))];
      rows.push({ namespace: w.namespace, kind: w.kind, name: w.name, pods: w.pods, image: w.image, digest: w.digest, controls });
    }
  }
  return { rows, total };
}

export const overviewPages: ConsoleArea = (router) => {
  router.get('/', async (c) =>
    c.shell({
      active: 'overview',
      ...overviewPage({
        stats: c.api.verdicts?.stats() ?? EMPTY_STATS,
        denials: denials(c.api),
        running: running(c.api),
        now: c.now,
      }),
    }),
  );
};
