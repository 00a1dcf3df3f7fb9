import { CertificateManager } from './certificate-manager.js';
import { InternalCa } from './internal-ca.js';
import { RequestManager } from './request-manager.js';
import { openStore, type StoreOptions } from './open-store.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import { SiteManager } from './site-manager.js';
import { BindingManager } from './binding-manager.js';
import { UserManager } from './user-manager.js';
import { ServiceManager } from './service-manager.js';

/** The core, wired once per process: the store and the managers over it. */
export interface Gatehouse {
  dataDir: string;
  store: GatehouseStore;
  certificates: CertificateManager;
  requests: RequestManager;
  ca: InternalCa;
  sites: SiteManager;
  bindings: BindingManager;
  users: UserManager;
  services: ServiceManager;
  clock: () => Date;
}

export function openGatehouse(options: StoreOptions & { cwd?: string }): Gatehouse {
  const clock = options.clock ?? (() => new Date());
  const store = openStore({ ...options, clock });
  const certificates = new CertificateManager(store, clock);
  const ca = new InternalCa(store, clock);
  const requests = new RequestManager(store, certificates, ca, clock);
  const sites = new SiteManager(store, clock, options.cwd ?? process.cwd());
  const bindings = new BindingManager(store, certificates, clock);
  const users = new UserManager(store, clock);
  const services = new ServiceManager(store, certificates, clock);
  return { dataDir: options.dataDir, store, certificates, requests, ca, sites, bindings, users, services, clock };
}
