import type { Db } from './database.js';
import type { KeyVault } from './key-vault.js';
import { StoreEngine, type Actor, type Change, type Fence } from './engine.js';
import { KeyRepository } from './keys.js';
import { RequestRepository } from './requests.js';
import { CertificateRepository } from './certificates.js';
import { CaRepository } from './ca.js';
import { SiteRepository } from './sites.js';
import { ServiceRepository } from './services.js';
import { UserRepository } from './users.js';
import { AuditRepository } from './audit.js';
import { ProcessRepository } from './processes.js';
import { AcmeRepository } from './acme.js';
import { NotificationRepository } from './notifications.js';
import { RenewalRepository } from './renewals.js';
import { OcspRepository } from './ocsp.js';
import { ConsoleSessionRepository } from './console-sessions.js';
import { FarmRepository } from './farm.js';
import { PostgresDb } from './postgres.js';
import type { RevisionEvents } from './revision-listener.js';

/** A serving process's longest store call on PostgreSQL (as long as the connect timeout: a reconnect fits, a full read of 100,000 names too). */
export const SERVING_CALL_MS = 10_000;
/**
 * A serving process's heartbeat, poll or staple read: small statements, given up on after this long.
 * Not shorter: a give-up takes the store for down (the admin API then answers 503 until a background
 * probe finds it), and a loaded machine can hold a healthy server's answer for a second or two.
 */
export const BRIEF_CALL_MS = 5_000;
/** A serving process's read of a revision (in full: 100,000 names may take seconds on a loaded server), only after a poll got an answer. */
export const REVISION_READ_MS = 60_000;

export type { Actor, Change, ChangeKind, Fence } from './engine.js';
export type { AuditEntry } from './audit.js';
export type { CertificateRow } from './certificates.js';
export type { RequestRow } from './requests.js';
export type { NewKey } from './keys.js';
export type { ProcessRow } from './processes.js';
export type { AcmeAccountRow, AcmeChallengeRow, CertificateSourceRow } from './acme.js';
export type { NotifyTargetRow } from './notifications.js';
export type { RenewalRow, RenewalOutcome } from './renewals.js';
export type { StapleRow } from './ocsp.js';
export type { SessionRow } from './console-sessions.js';
export type { NodeRow } from './farm.js';

/**
 * The one store: the engine (database, transactions, audit, revision, master-key check) and one
 * repository per group of tables. Every write runs inside `change` (or `record`), so it lands in
 * one transaction with its audit record. Not safe to share across threads; safe across processes
 * (SQLite locking; writers queue on the busy timeout). Only `lifecycle/` uses it.
 */
export class GatehouseStore {
  readonly engine: StoreEngine;
  readonly keys: KeyRepository;
  readonly requests: RequestRepository;
  readonly certificates: CertificateRepository;
  readonly ca: CaRepository;
  readonly sites: SiteRepository;
  readonly services: ServiceRepository;
  readonly users: UserRepository;
  readonly audit: AuditRepository;
  readonly processes: ProcessRepository;
  readonly acme: AcmeRepository;
  readonly notifications: NotificationRepository;
  readonly renewals: RenewalRepository;
  readonly ocsp: OcspRepository;
  readonly sessions: ConsoleSessionRepository;
  readonly farm: FarmRepository;

  constructor(db: Db, vault: KeyVault, clock: () => Date, actor: Actor) {
    this.engine = new StoreEngine(db, vault, clock, actor);
    this.keys = new KeyRepository(this.engine);
    this.requests = new RequestRepository(this.engine);
    this.certificates = new CertificateRepository(this.engine, this.keys);
    this.ca = new CaRepository(this.engine);
    this.sites = new SiteRepository(this.engine);
    this.services = new ServiceRepository(this.engine);
    this.users = new UserRepository(this.engine);
    this.audit = new AuditRepository(this.engine);
    this.processes = new ProcessRepository(this.engine);
    this.acme = new AcmeRepository(this.engine);
    this.notifications = new NotificationRepository(this.engine);
    this.renewals = new RenewalRepository(this.engine);
    this.ocsp = new OcspRepository(this.engine);
    this.sessions = new ConsoleSessionRepository(this.engine);
    this.farm = new FarmRepository(this.engine);
  }

  /** One transaction with its audit record and a new revision (see StoreEngine.change). */
  change<T>(describe: (result: T) => Change, fn: () => T): T {
    return this.engine.change(describe, fn);
  }

  /** One transaction with its audit record, no new revision: nothing served changes (see StoreEngine.record). */
  record<T>(describe: (result: T) => Change, fn: () => T): T {
    return this.engine.record(describe, fn);
  }

  /** A consistent read of several tables: one deferred transaction. */
  read<T>(fn: () => T): T {
    return this.engine.db.transaction('deferred', fn);
  }

  runAs<T>(actor: Actor, fn: () => T): T {
    return this.engine.runAs(actor, fn);
  }

  /** Runs `fn` with every write it makes checked against the lease `fence` (see StoreEngine.fenced). */
  fenced<T>(fence: Fence, fn: () => T): T {
    return this.engine.fenced(fence, fn);
  }

  revision(): number {
    return this.engine.revision();
  }

  /** What the change log says changed after revision `since`; undefined when it no longer reaches back that far (see StoreEngine.changesSince). */
  changesSince(since: number): ReturnType<StoreEngine['changesSince']> {
    return this.engine.changesSince(since);
  }

  /**
   * PostgreSQL: listens (on a connection of its own) for the revision every change NOTIFYs at commit
   * — push instead of poll; undefined on SQLite, which is polled. postgres.js is loaded only here.
   */
  async listenRevisions(events: RevisionEvents): Promise<{ readonly listening: boolean; renew(): void; close(): Promise<void> } | undefined> {
    const channel = this.engine.notifyChannel();
    const db = this.engine.db;
    if (channel === undefined || !(db instanceof PostgresDb)) return undefined;
    const { RevisionListener } = await import('./revision-listener.js');
    return new RevisionListener(db.target, channel, events);
  }

  /**
   * A serving process's store (PostgreSQL; nothing on SQLite): no call holds the event loop longer
   * than SERVING_CALL_MS, and a store that did not answer fails at once until a background probe
   * finds it again (PostgresDb.guard), so a server that drops packets cannot stop the serving.
   */
  guardServing(): void {
    if (this.engine.db instanceof PostgresDb) this.engine.db.guard(SERVING_CALL_MS);
  }

  /** Runs `fn` — a heartbeat, a poll: small statements — giving up after BRIEF_CALL_MS on PostgreSQL. */
  briefly<T>(fn: () => T): T {
    const db = this.engine.db;
    return db instanceof PostgresDb ? db.within(BRIEF_CALL_MS, fn) : fn();
  }

  /** Runs `fn` — the read of a revision — with a longer deadline than a serving process's usual one on PostgreSQL (REVISION_READ_MS). */
  patiently<T>(fn: () => T): T {
    const db = this.engine.db;
    return db instanceof PostgresDb ? db.within(REVISION_READ_MS, fn) : fn();
  }

  checkMasterKey(): void {
    this.engine.checkMasterKey();
  }

  close(): void {
    this.engine.close();
  }
}
