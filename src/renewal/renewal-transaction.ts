import { GatehouseError } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { Renewal, RenewalMove } from '../lifecycle/renewal-manager.js';
import { probeAll, probeTargets, type ProbeResult } from './probe.js';
import type { ServingProcess } from '../lifecycle/serving-processes.js';

/** What a renewal transaction ended with, for every face and for `onOutcome`. */
export interface RenewalReport {
  renewal: number;
  old: { thumbprint: string; friendlyName: string };
  new: { thumbprint: string; friendlyName: string };
  source: string;
  outcome: 'renewed' | 'rolled-back' | 'failed';
  /** Whether the moves were proven by handshakes (false when no serving process runs: "not probed"). */
  probed: boolean;
  detail: string;
  moves: RenewalMove[];
  probes: ProbeResult[];
  /**
   * How long the steps after the move took, in ms: `appliedMs` from the store change that moved the
   * uses until every serving process reported serving it (null: none runs, or not all did in time),
   * `probeMs` the handshakes (null: not probed).
   */
  timings: RenewalTimings;
}

export interface RenewalTimings {
  appliedMs: number | null;
  probeMs: number | null;
}

/** No step after the move ran (a renewal that failed before anything moved). */
export const NO_TIMINGS: RenewalTimings = Object.freeze({ appliedMs: null, probeMs: null });

/** An outcome for the lead's notifications (src/notify/): a rollback or a failure is worth telling someone. */
export interface RenewalEvent {
  kind: 'renewal-renewed' | 'renewal-rolled-back' | 'renewal-failed';
  report: RenewalReport;
}

export interface TransactionOptions {
  /** manual, internal, acme:ACCOUNT. */
  source: string;
  /** Called once the transaction has ended (commit or rollback); errors it throws are ignored. */
  onOutcome?: ((event: RenewalEvent) => void | Promise<void>) | undefined;
  /** How long serving processes get to apply the move (default 30 s). */
  waitTimeoutMs?: number | undefined;
  /** Each probe's bound (default 10 s). */
  probeTimeoutMs?: number | undefined;
  /** Progress lines for a foreground command. */
  progress?: ((line: string) => void) | undefined;
}

/**
 * One renewal, for certificates O (`oldRef`) and N (`newRef`, already stored, not yet used):
 * one store change moves every use of O to N (one audit record lists them); every serving process
 * applies it; a real TLS handshake to every affected endpoint (STARTTLS for mail) must get N, covering
 * the name asked and with a chain that verifies — then the renewal commits (O stays, "replaced by" N),
 * else one change moves every use back to O and N's renewal is marked "failed probe: …".
 * Without a serving process the moves stay and the renewal commits "not probed".
 */
export async function renewTransaction(g: Gatehouse, oldRef: string, newRef: string, options: TransactionOptions): Promise<RenewalReport> {
  const old = g.certificates.resolve(oldRef);
  const next = g.certificates.resolve(newRef);
  const say = options.progress ?? (() => undefined);
  const base = { old: { thumbprint: old.thumbprint, friendlyName: old.friendlyName }, new: { thumbprint: next.thumbprint, friendlyName: next.friendlyName }, source: options.source };
  let moved;
  try {
    moved = g.renewals.move(old.thumbprint, next.thumbprint, options.source);
  } catch (e) {
    if (!(e instanceof GatehouseError)) throw e;
    const r = g.renewals.failed(old.thumbprint, next.thumbprint, options.source, e.message);
    return finish({ ...base, renewal: r.id, outcome: 'failed', probed: false, detail: e.message, moves: [], probes: [], timings: NO_TIMINGS }, options);
  }
  say(`moved ${moved.moves.length} use(s) of "${old.friendlyName}" to "${next.friendlyName}" (revision ${moved.revision}): ${moved.moves.map((m) => m.text).join('; ') || 'none'}`);
  const movedAt = performance.now();
  const timings: RenewalTimings = { appliedMs: null, probeMs: null };
  const report = (r: Renewal, probes: ProbeResult[], probed: boolean): RenewalReport => ({ ...base, renewal: r.id, outcome: r.outcome ?? 'failed', probed, detail: r.detail, moves: moved.moves, probes, timings });
  let farm: ServingProcess[];
  try {
    // Every live serving process of every node (the store's serving_processes) serves the move first.
    farm = await g.processes.waitFor(moved.revision, { timeoutMs: options.waitTimeoutMs ?? 30_000 });
    timings.appliedMs = Math.round(performance.now() - movedAt);
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'GH_SERVE_NOT_RUNNING') {
      const detail = 'not probed: no serving process runs on this store, so nothing could be asked; the moves stay and are served when serve starts';
      say(detail);
      return finish(report(g.renewals.commit(moved.renewal, detail, null), [], false), options);
    }
    if (!(e instanceof GatehouseError)) throw e;
    const detail = `rolled back: ${e.message}`;
    say(detail);
    const back = g.renewals.rollback(moved.renewal, detail, null);
    return finish(report(back.renewal, [], false), options);
  }
  // Each node is probed where it answers (its --listen-ip, or its host), not only this one.
  const targets = probeTargets(g.serving.config(), next.thumbprint, old.sans, farm);
  say(`probing ${targets.length} endpoint(s)`);
  const probing = performance.now();
  const probes = await probeAll(targets, {
    thumbprint: next.thumbprint, anchors: g.renewals.trustAnchorsPem(), timeoutMs: options.probeTimeoutMs,
    nameOf: (t) => g.certificates.find(t)?.friendlyName,
  });
  timings.probeMs = Math.round(performance.now() - probing);
  for (const p of probes) say(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.endpoint}: ${p.detail}`);
  const failed = probes.filter((p) => !p.ok);
  if (failed.length === 0) {
    const detail = `renewed: ${probes.length} endpoint(s) served the new certificate`;
    return finish(report(g.renewals.commit(moved.renewal, detail, probes), probes, true), options);
  }
  const detail = `failed probe: ${failed.map((p) => `${p.endpoint} ${p.detail}`).join('; ')}`;
  const back = g.renewals.rollback(moved.renewal, detail, probes);
  say(`rolled back every use to "${old.friendlyName}" (revision ${back.revision})`);
  try {
    // So that, when this returns, the old certificate is what every process serves again.
    await g.processes.waitFor(back.revision, { timeoutMs: options.waitTimeoutMs ?? 30_000 });
  } catch {
    // The rollback is in the store; a process that lags applies it when it catches up.
  }
  return finish(report(back.renewal, probes, true), options);
}

type OutcomeHook = (event: RenewalEvent) => void | Promise<void>;
const hooks = new Set<OutcomeHook>();

/**
 * Registers a hook every renewal of this process tells its outcome (the CLI's, the admin API's and
 * the scheduler's alike): where notifications are wired once. Answers the function that removes it.
 */
export function onRenewalOutcome(hook: OutcomeHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Tells the registered hooks and the call's own `onOutcome`; a hook that fails never undoes or fails a renewal. */
export async function announce(report: RenewalReport, options: Pick<TransactionOptions, 'onOutcome'>): Promise<void> {
  const event: RenewalEvent = { kind: report.outcome === 'renewed' ? 'renewal-renewed' : report.outcome === 'rolled-back' ? 'renewal-rolled-back' : 'renewal-failed', report };
  for (const hook of [...hooks, ...(options.onOutcome ? [options.onOutcome] : [])]) {
    try {
      await hook(event);
    } catch {
      // Notifications are best effort; the renewal's outcome is in the store and the audit log.
    }
  }
}

async function finish(report: RenewalReport, options: TransactionOptions): Promise<RenewalReport> {
  await announce(report, options);
  return report;
}

/**
 * After a request is completed (`request complete`, `request submit`, an ACME order): a request that
 * renewed a certificate makes the completion a renewal — the transaction runs and its report is
 * answered; null when the request renewed nothing, or the certificate it renewed is gone.
 */
export async function renewalAfterCompletion(g: Gatehouse, c: { thumbprint: string; renews: string | null }, options: TransactionOptions): Promise<RenewalReport | null> {
  if (c.renews === null || !g.certificates.find(c.renews)) return null;
  return renewTransaction(g, c.renews, c.thumbprint, options);
}
