import { hostname } from 'node:os';
import { GatehouseError } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { renewalStatus, runRenewal, type RenewalSources, type RenewalStatus } from './renewer.js';
import type { RenewalReport, TransactionOptions } from './renewal-transaction.js';

/** How often the scheduler looks for certificates due. */
export const RENEWAL_INTERVAL_MS = 60_000;
/** The first wait after a failed or rolled-back renewal; doubled after each one in a row, up to a day. */
export const RETRY_MS = 60 * 60_000;
const MAX_RETRY_MS = 24 * 60 * 60_000;
/** The lease is held this long per tick, and extended before each renewal (`serve --renew-lease`). */
export const LEASE_MS = 5 * 60_000;

export interface SchedulerOptions {
  intervalMs?: number;
  /** When "due" is judged (default: the store's clock); tests look ahead with it. */
  now?: () => Date;
  sources?: RenewalSources;
  onOutcome?: TransactionOptions['onOutcome'];
  log?: (line: string) => void;
  retryMs?: number;
  /** How long the renewal lease is held per take or extension (default LEASE_MS, 5 minutes). */
  leaseMs?: number;
}

/**
 * The certificates to renew now: a source that renews without a human (not manual), in use (a
 * binding or a service has it), due (its ACME renewal time — a random instant in the CA's ARI window,
 * or the lifetime rule —, else a third of the lifetime left; half under 10 days), not
 * replaced already, not itself the new certificate of a rolled-back renewal, and — after failures —
 * past the retry wait (one hour, doubled per failure in a row, at most a day).
 */
export function dueCertificates(g: Gatehouse, now: Date, sources: RenewalSources = {}, retryMs = RETRY_MS): RenewalStatus[] {
  // Only certificates past their due time are looked at further (their source, uses, history): cheap on a large store.
  return renewalStatus(g, sources, (_c, next) => next.getTime() <= now.getTime()).filter((c) => {
    if (c.source === 'manual' || c.nextRenewal === null || c.failedProbe !== null || c.uses === 0) return false;
    if (Date.parse(c.nextRenewal) > now.getTime()) return false;
    if (!c.lastAttempt || c.lastAttempt.outcome === 'renewed') return true;
    const mine = g.renewals.history(c.thumbprint).filter((r) => r.old === c.thumbprint);
    const lastRenewed = mine.findIndex((r) => r.outcome === 'renewed');
    const inARow = lastRenewed < 0 ? mine.length : lastRenewed;
    const wait = Math.min(MAX_RETRY_MS, retryMs * 2 ** Math.max(0, inARow - 1));
    return Date.parse(c.lastAttempt.finished ?? c.lastAttempt.started) + wait <= now.getTime();
  });
}

/**
 * Before each look: every ACME certificate in use, not replaced, with no renewal time yet or whose
 * CA's ARI window is due to be read again (its Retry-After passed) gets one chosen and stored
 * (AcmeManager.chooseRenewalTime). A CA that cannot be reached costs a log line, never the tick.
 */
export async function chooseAcmeRenewalTimes(g: Gatehouse, now: Date, log: (line: string) => void): Promise<void> {
  const latest = g.renewals.latest();
  for (const [thumbprint, row] of g.acme.sources()) {
    if (!g.acme.needsRenewalTime(row, now) || latest.get(thumbprint)?.outcome === 'renewed' || g.renewals.plan(thumbprint).length === 0) continue;
    try {
      const chosen = await g.acme.chooseRenewalTime(thumbprint, now, log);
      if (chosen && chosen.at !== row.renewAt) log(`renewal: ${thumbprint.slice(0, 12)} renews at ${chosen.at} (${chosen.why}${chosen.window ? ` ${chosen.window.start} – ${chosen.window.end}` : ''})`);
    } catch (e) {
      log(`renewal: no renewal time could be chosen for ${thumbprint.slice(0, 12)}: ${(e as Error).message}`);
    }
  }
}

/** " (applied by every serving process in 412 ms, probed in 35 ms)": what the log says of the steps after the move. */
export function timingsText(r: Pick<RenewalReport, 'timings'>): string {
  const parts = [
    ...(r.timings.appliedMs === null ? [] : [`applied by every serving process in ${r.timings.appliedMs} ms`]),
    ...(r.timings.probeMs === null ? [] : [`probed in ${r.timings.probeMs} ms`]),
  ];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * The renewal scheduler `serve`'s supervisor (or its single process) runs: every minute, the
 * process holding the store's renewal lease renews every certificate due, one at a time, each as
 * one verified transaction. Other `serve` processes on the same store find the lease taken and wait.
 */
export class RenewalScheduler {
  readonly #holder = `${hostname()}:${process.pid}`;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<RenewalReport[]> | undefined;
  /** Certificates to renew at the next look whether due or not (their CA revoked them), with why. */
  readonly #urgent = new Map<string, string>();

  readonly #leaseMs: number;

  constructor(private readonly g: Gatehouse, private readonly options: SchedulerOptions = {}) {
    this.#leaseMs = options.leaseMs ?? LEASE_MS;
  }

  /**
   * Renews a certificate at once, due or not — its CA has revoked it (OCSP). Its source decides:
   * one Gatehouse can renew (internal CA, ACME) is renewed at the next look (now); a manual one
   * cannot be, and the caller tells a person. Answers whether it will be renewed here.
   */
  urgent(thumbprint: string, why: string): boolean {
    const status = renewalStatus(this.g, this.options.sources, (c) => c.thumbprint === thumbprint)[0];
    if (!status || status.source === 'manual' || status.replacedBy) return false;
    this.#urgent.set(thumbprint, why);
    void this.tick();
    return true;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.options.intervalMs ?? RENEWAL_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Stops looking; waits for a renewal in progress to end, and gives the lease up. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick?.catch(() => undefined);
    this.g.renewals.releaseLease(this.#holder);
  }

  /**
   * Holding the lease: a renewal another process left open — it moved the uses, then
   * stopped (killed, its lease ran out) before committing or rolling back — is rolled back, so every
   * use is back on the certificate that was checked; the certificate is renewed again at once (in
   * this tick: the stop was no fault of the CA's or the certificate's, so no retry wait). Only
   * renewals older than a lease are taken: a younger one may belong to a command (a manual
   * renewal) still probing.
   */
  #recover(log: (line: string) => void): void {
    for (const r of this.g.renewals.unfinished(this.#leaseMs)) {
      try {
        this.g.renewals.rollback(r.id, `rolled back by ${this.#holder}: the process renewing it stopped before it finished`, r.probes);
        log(`renewal ${r.id}: left unfinished since ${r.started} by a process that stopped; rolled back`);
        this.#urgent.set(r.old, `left unfinished by a process that stopped (renewal ${r.id}, rolled back)`);
      } catch (e) {
        log(`renewal ${r.id}: left unfinished since ${r.started}; could not be rolled back: ${(e as Error).message}`);
      }
    }
  }

  /** Extends the lease while a renewal runs (a store that cannot be reached: it runs out, and the fence holds). */
  #extend(): void {
    try {
      this.g.renewals.lease(this.#holder, this.#leaseMs);
    } catch {
      // Busy or gone: the next try, or the lease runs out.
    }
  }

  /** One look: renews what is due (when this process holds the lease); answers the reports. */
  tick(): Promise<RenewalReport[]> {
    this.#tick ??= this.#run().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  async #run(): Promise<RenewalReport[]> {
    const log = this.options.log ?? (() => undefined);
    const reports: RenewalReport[] = [];
    try {
      const first = this.g.renewals.lease(this.#holder, this.#leaseMs);
      if (first === false) return reports;
      // Every look, not only at a take-over: a renewal the previous holder left open may become
      // older than a lease only after this node took the lease.
      this.g.renewals.underLease(this.#holder, first, () => this.#recover(log));
      const now = (this.options.now ?? this.g.clock)();
      await this.g.renewals.underLease(this.#holder, first, () => chooseAcmeRenewalTimes(this.g, now, log));
      const urgent = [...this.#urgent].flatMap(([thumbprint, why]) => renewalStatus(this.g, this.options.sources, (c) => c.thumbprint === thumbprint).map((c) => ({ ...c, why })));
      this.#urgent.clear();
      const due = dueCertificates(this.g, now, this.options.sources, this.options.retryMs).filter((c) => !urgent.some((u) => u.thumbprint === c.thumbprint));
      for (const c of [...urgent, ...due.map((d) => ({ ...d, why: `due since ${d.nextRenewal}` }))]) {
        const token = this.g.renewals.lease(this.#holder, this.#leaseMs);
        if (token === false) break;
        log(`renewal: "${c.friendlyName}" (${c.source}) is ${c.why}; renewing`);
        // The lease is kept alive while the renewal runs; every write the renewal makes checks its
        // fencing token, so once another node has taken the lease over nothing more is written here.
        const keepAlive = setInterval(() => this.#extend(), this.#leaseMs / 3);
        keepAlive.unref();
        try {
          const r = await this.g.renewals.underLease(this.#holder, token, () => runRenewal(this.g, c.thumbprint, { sources: this.options.sources, onOutcome: this.options.onOutcome }));
          if ('dryRun' in r) continue;
          reports.push(r);
          log(`renewal ${r.renewal}: "${c.friendlyName}" ${r.outcome}${r.new.thumbprint ? ` → ${r.new.thumbprint}` : ''}: ${r.detail}${timingsText(r)}`);
        } catch (e) {
          // GH_LEASE_LOST says another node took the lease over: this one's late writes were refused.
          log(`renewal: "${c.friendlyName}" could not be renewed: ${e instanceof GatehouseError ? `${e.code}: ` : ''}${(e as Error).message}`);
        } finally {
          clearInterval(keepAlive);
        }
      }
    } catch (e) {
      log(`renewal: the scheduler could not look at the store: ${(e as Error).message}`);
    }
    return reports;
  }
}
