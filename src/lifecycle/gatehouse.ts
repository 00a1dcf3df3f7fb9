import { CertificateManager } from './certificate-manager.js';
import { InternalCa } from './internal-ca.js';
import { RequestManager } from './request-manager.js';
import { openStore, storeShown, type StoreOptions } from './open-store.js';
import type { Actor, AuditEntry } from '../store/gatehouse-store.js';
import { ServingReadModel } from './serving.js';
import { SiteManager } from './site-manager.js';
import { BindingManager } from './binding-manager.js';
import { UserManager } from './user-manager.js';
import { ServiceManager } from './service-manager.js';
import { ServingProcesses } from './serving-processes.js';
import { AcmeManager } from './acme-manager.js';
import { NotificationManager } from './notification-manager.js';
import { RenewalManager } from './renewal-manager.js';
import { OcspStaples } from './ocsp-staples.js';
import { ConsoleSessions, LoginThrottle, type SessionLimits, type ThrottleLimits } from './console-sessions.js';

/** The core, wired once per process: the store and the managers over it. */
export interface Gatehouse {
  dataDir: string;
  /** Where the store is, fit to show: the data directory (SQLite) or the PostgreSQL URL without its password. */
  storeShown: string;
  certificates: CertificateManager;
  requests: RequestManager;
  ca: InternalCa;
  sites: SiteManager;
  bindings: BindingManager;
  users: UserManager;
  services: ServiceManager;
  /** Where notifications go (webhooks, e-mail) and what was sent; notify/'s Notifier sends them. */
  notifications: NotificationManager;
  /** Renewal transactions' store side: the uses of a certificate moved in one change, rolled back, and their history. */
  renewals: RenewalManager;
  /** The serving plane's read model: revision, configuration, key material. */
  serving: ServingReadModel;
  /** The serving processes of this store and the revision each serves (reported by `serve`). */
  processes: ServingProcesses;
  /** ACME accounts and issuance through them. */
  acme: AcmeManager;
  /** OCSP staples: which served certificates can carry one, the responses kept, the staple a handshake sends. */
  ocsp: OcspStaples;
  /** The console's sessions, in the store (every node of a farm sees the same ones); `clock` in ms. */
  sessions(clock: () => number, limits?: SessionLimits): ConsoleSessions;
  /** The log-in throttle, counting failures in the store (every node of a farm counts the same ones); `clock` in ms. */
  loginThrottle(clock: () => number, limits?: ThrottleLimits): LoginThrottle;
  /** Runs `fn` with every change it makes recorded as `actor`'s. */
  runAs<T>(actor: Actor, fn: () => T): T;
  /** Audit records at or after `since`, oldest first; `limit` keeps the newest that many. */
  audit(filter?: { since?: string | undefined; limit?: number | undefined }): AuditEntry[];
  close(): void;
  clock: () => Date;
}

export type { Actor, AuditEntry } from '../store/gatehouse-store.js';

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
  const processes = new ServingProcesses(store, clock);
  const notifications = new NotificationManager(store, certificates, clock);
  const renewals = new RenewalManager(store, certificates, clock);
  return {
    dataDir: options.dataDir, storeShown: storeShown(options), certificates, requests, ca, sites, bindings, users, services, notifications, clock, renewals,
    serving: new ServingReadModel(store, clock),
    processes,
    acme: new AcmeManager(store, requests, processes, clock, options.cwd ?? process.cwd(), (thumbprint) => renewals.plan(thumbprint).length),
    ocsp: new OcspStaples(store, clock),
    sessions: (sessionClock, limits) => new ConsoleSessions(store, sessionClock, limits),
    loginThrottle: (throttleClock, limits) => new LoginThrottle(store, throttleClock, limits),
    runAs: (actor, fn) => store.runAs(actor, fn),
    audit: (filter) => store.audit.list(filter),
    close: () => store.close(),
  };
}
