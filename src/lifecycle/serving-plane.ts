import { openStore, storeShown, type StoreOptions } from './open-store.js';
import { ServingReadModel } from './serving.js';
import { ServingProcesses } from './serving-processes.js';
import { ServedStaples } from './served-staples.js';
import type { Gatehouse } from './gatehouse.js';

/** What a serving process needs of the core: the read model, its own report, the staples it sends, the clock. `Gatehouse` is one. */
export type ServingPlane = Pick<Gatehouse, 'dataDir' | 'storeShown' | 'serving' | 'processes' | 'clock' | 'close'> & { ocsp: Pick<Gatehouse['ocsp'], 'staple'> };

/**
 * The core as a serve worker opens it: the store and only the parts the serving plane reads — none
 * of the managers that change it (requests, the CA, ACME, renewals, users), so a worker loads none
 * of their code (serve/worker-entry.ts).
 */
export function openServingPlane(options: StoreOptions): ServingPlane {
  const clock = options.clock ?? (() => new Date());
  const store = openStore({ ...options, clock });
  return {
    dataDir: options.dataDir,
    storeShown: storeShown(options),
    serving: new ServingReadModel(store, clock),
    processes: new ServingProcesses(store, clock),
    ocsp: new ServedStaples(store, clock),
    clock,
    close: () => store.close(),
  };
}
