import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { renewalStatus, type RenewalSources, type RenewalStatus } from './renewer.js';

/** One certificate's renewal state as `/metrics` shows it (the shape src/metrics/ registers). */
export interface RenewalMetric {
  thumbprint: string;
  friendlyName: string;
  /** manual, internal, acme:ACCOUNT. */
  source: string;
  /** The last outcome or what comes next: renewed, rolled-back, failed, failed-probe, due, scheduled, manual. */
  status: string;
  nextRenewal: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
}

/** A certificate's status word: what its last renewal did, else whether it is due. */
export function renewalStatusWord(s: RenewalStatus, now: Date): string {
  if (s.replacedBy !== null) return 'renewed';
  if (s.failedProbe !== null) return 'failed-probe';
  const last = s.lastAttempt?.outcome;
  if (last === 'rolled-back' || last === 'failed') return last;
  if (s.nextRenewal === null) return 'manual';
  return Date.parse(s.nextRenewal) <= now.getTime() ? 'due' : 'scheduled';
}

/**
 * The renewal metrics' source, read from the store at each scrape: per certificate its source,
 * status, next renewal, and when a renewal it took part in (as the old or the new certificate)
 * last succeeded and last failed or rolled back.
 */
export function renewalMetrics(g: Gatehouse, sources: RenewalSources = {}): { renewals(): RenewalMetric[] } {
  return {
    renewals() {
      const now = g.clock();
      return renewalStatus(g, sources).map((s) => {
        const history = g.renewals.history(s.thumbprint);
        const at = (r: (typeof history)[number] | undefined) => (r ? r.finished ?? r.started : null);
        return {
          thumbprint: s.thumbprint, friendlyName: s.friendlyName, source: s.source, status: renewalStatusWord(s, now), nextRenewal: s.nextRenewal,
          lastSuccess: at(history.find((r) => r.outcome === 'renewed')),
          lastFailure: at(history.find((r) => r.outcome === 'failed' || r.outcome === 'rolled-back')),
        };
      });
    },
  };
}
