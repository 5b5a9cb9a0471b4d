// The store contract: every adapter (SQLite, MongoDB) must pass the same tests.
// An adapter's test file calls runStoreContract with a function opening a store on a fresh,
// empty database, plus the few raw hooks the tests need (old-version documents, orphans, counts).
// The tests are in contract/, one file per repository (and validation, schema versions, the
// store itself), run here in order.
import type { OpenFreshStore } from './contract/harness.ts';
import { versionedContract } from './contract/versioned.ts';
import { validationContract } from './contract/validation.ts';
import { exceptionsContract } from './contract/exceptions.ts';
import { reportsContract } from './contract/reports.ts';
import { layerCacheContract } from './contract/layer-cache.ts';
import { inventoryContract } from './contract/inventory.ts';
import { schemaVersionsContract } from './contract/schema-versions.ts';
import { storeContract } from './contract/store.ts';
import { contractRun } from './contract/helpers.ts';

export type { OpenFreshStore, RawCollection, StoreHarness } from './contract/harness.ts';

export function runStoreContract(name: string, openFreshStore: OpenFreshStore): void {
  const run = contractRun(openFreshStore);
  versionedContract(name, run);
  validationContract(name, run);
  exceptionsContract(name, run);
  reportsContract(name, run);
  layerCacheContract(name, run);
  inventoryContract(name, run);
  schemaVersionsContract(name, run);
  storeContract(name, run, openFreshStore);
}
