// Console area: admission decisions (GET /console/decisions), from the policy service's decision
// log (decision-log.ts): recent decisions the webhook published on the audit stream.
import { decisionsPage } from '@assay/console';
import type { DecisionOutcome, DecisionQuery } from '../decision-records.ts';
import type { ConsoleArea } from './router.ts';

export const DECISIONS_PER_PAGE = 50;
const OUTCOMES: readonly string[] = ['allowed', 'denied', 'warned'] satisfies DecisionOutcome[];

export const decisionPages: ConsoleArea = (router) => {
  router.get('/decisions', async (c) => {
    const outcome = OUTCOMES.includes(c.query.outcome ?? '') ? (c.query.outcome as DecisionOutcome) : undefined;
    const namespace = c.query.namespace?.trim() || undefined;
    const q = c.query.q?.trim() || undefined;
    const cursor = c.query.cursor || undefined;
    const query: DecisionQuery = {
      limit: DECISIONS_PER_PAGE,
      ...(outcome ? { outcome } : {}),
      ...(namespace ? { namespace } : {}),
      ...(q ? { q } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const log = c.api.decisions;
    const found = log?.list(query) ?? { items: [] };
    const view = decisionsPage({
      rows: found.items,
      filter: { outcome, namespace, q },
      held: log?.size,
      next: found.next,
      continued: cursor !== undefined,
      now: c.now,
    });
    return c.shell({ ...view, active: 'decisions' });
  });
};
