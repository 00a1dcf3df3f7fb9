import { CertificateManager } from './certificate-manager.js';
import { InternalCa } from './internal-ca.js';
import { RequestManager } from './request-manager.js';
import { openStore, type StoreOptions } from './open-store.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';

/** The core, wired once per process: the store and the managers over it. */
export interface Gatehouse {
  dataDir: string;
  store: GatehouseStore;
  certificates: CertificateManager;
  requests: RequestManager;
  ca: InternalCa;
  clock: () => Date;
}

export function openGatehouse(options: StoreOptions): Gatehouse {
  const clock = options.clock ?? (() => new Date());
  const store = openStore({ ...options, clock });
  const certificates = new CertificateManager(store, clock);
  const ca = new InternalCa(store, clock);
  const requests = new RequestManager(store, certificates, ca, clock);
  return { dataDir: options.dataDir, store, certificates, requests, ca, clock };
}
