// One update step for a scanner: fetch the published database when newer than the one held,
// and swap it in. Scans in flight keep their lease on the old database until they finish.
import type { DbHolder } from './holder.ts';
import { fetchDatabase, type FetchOptions, type FetchResult } from './oci.ts';

export async function refreshDatabase(holder: DbHolder, opts: Omit<FetchOptions, 'currentVersion'>): Promise<FetchResult> {
  const result = await fetchDatabase({ ...opts, ...(holder.version ? { currentVersion: holder.version } : {}) });
  if (result.updated) holder.load(opts.dir);
  return result;
}
