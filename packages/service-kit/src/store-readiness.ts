// The `store` readiness check of a service with a store (policy, scanner): ready while the store
// answers a ping, failing with the driver's reason otherwise.
import type { Readiness } from './readiness.ts';

export const STORE_CHECK = 'store';

/** What the check needs of a store. */
export interface PingableStore {
  ping(): Promise<unknown>;
}

export function addStoreReadiness(ctx: { readonly readiness: Readiness }, store: PingableStore): void {
  ctx.readiness.add(STORE_CHECK, async () => {
    try {
      await store.ping();
      return true;
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  });
}
