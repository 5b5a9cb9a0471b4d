// Console area: the overview (to be built out).
import { html } from '@assay/console';
import type { ConsoleArea } from './router.ts';

export const overviewPages: ConsoleArea = (router) => {
  router.get('/', async (c) =>
    c.shell({ title: 'Overview', active: 'overview', body: html`<p>Images known: ${c.api.verdicts?.size ?? 0}</p>` }),
  );
};
