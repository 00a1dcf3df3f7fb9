import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import type { Certificate } from '../model/certificate.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { RenewalMove } from '../lifecycle/renewal-manager.js';
import { probeTargets, type ProbeTarget } from './probe.js';
import { announce, NO_TIMINGS, renewTransaction, type RenewalReport, type TransactionOptions } from './renewal-transaction.js';
import { AcmeRenewer } from './acme-renewer.js';

/**
 * A source that renews without a human: gets a new certificate for `old` (same names, a new key),
 * stores it (not yet used) and answers its thumbprint. The internal CA is one; ACME accounts
 * (`acme:ACCOUNT`) plug in the same way.
 */
export interface Renewer {
  renew(old: Certificate): Promise<string>;
}

/** Re-issues from the internal CA: `cert renew`'s request, signed at once for the old certificate's lifetime. */
export class InternalCaRenewer implements Renewer {
  constructor(private readonly g: Gatehouse) {}

  async renew(old: Certificate): Promise<string> {
    const request = await this.g.requests.renew(old.thumbprint);
    const days = Math.max(1, Math.round((Date.parse(old.notAfter) - Date.parse(old.notBefore)) / 86_400_000));
    try {
      return (await this.g.requests.submit(request.id, 'internal', { days })).thumbprint;
    } catch (e) {
      this.g.requests.cancel(request.id);
      throw e;
    }
  }
}

/** How the renewals of a store are found and run: which source each certificate has, and the renewers. */
export interface RenewalSources {
  /** A certificate's source when something other than the issuer decides (an ACME order's record: `acme:ACCOUNT`); undefined otherwise. */
  sourceOf?: (certificate: Certificate) => string | undefined;
  /** Renewers by source (`acme:ACCOUNT`); `internal` is built in. */
  renewers?: Record<string, Renewer>;
}

/** A certificate's renewal state, as `renewal list` shows it. */
export interface RenewalStatus {
  thumbprint: string;
  friendlyName: string;
  notAfter: string;
  /** manual, internal, acme:ACCOUNT. */
  source: string;
  /** When it renews by itself; null for manual certificates and replaced ones. */
  nextRenewal: string | null;
  /**
   * Why then: "ari window" (a random instant in the CA's ARI window, RFC 9773) or "lifetime rule"
   * (a third of its lifetime left, half under 10 days); null with no next renewal.
   */
  nextRenewalWhy: 'ari window' | 'lifetime rule' | null;
  /** The CA's suggested window, when it gave one (ACME with ARI). */
  ariWindow: { start: string; end: string } | null;
  /** Why the CA's ARI window could not be read, when the lifetime rule stands in for it. */
  ariError: string | null;
  /** The certificate that replaced it (its renewal committed), or null. */
  replacedBy: string | null;
  lastAttempt: { renewal: number; started: string; finished: string | null; outcome: string | null; detail: string } | null;
  /** Set when it was a renewal's new certificate and the probe failed. */
  failedProbe: string | null;
  uses: number;
}

const DAY_MS = 86_400_000;

/** Where a certificate comes from: the caller's answer, else the ACME account that issued it, else internal when the internal CA signed it, else manual. */
export function renewalSource(g: Gatehouse, c: Certificate, sources: RenewalSources = {}, acme = g.acme.sourceOf(c.thumbprint)): string {
  return sources.sourceOf?.(c) ?? acme?.source ?? (g.renewals.issuedByInternalCa(c.thumbprint) ? 'internal' : 'manual');
}

/** The renewer of a source: the caller's, else the internal CA's, else the ACME account's (`acme:ACCOUNT`). */
export function renewerFor(g: Gatehouse, source: string, sources: RenewalSources = {}, progress?: (line: string) => void): Renewer | undefined {
  return sources.renewers?.[source]
    ?? (source === 'internal' ? new InternalCaRenewer(g) : source.startsWith('acme:') ? new AcmeRenewer(g, source.slice('acme:'.length), progress) : undefined);
}

type AcmeSources = ReturnType<Gatehouse['acme']['sources']>;

/** When a certificate renews by itself and why: an ACME certificate's chosen time (ARI window or lifetime rule), else the lifetime rule. */
function plannedRenewal(g: Gatehouse, c: Certificate, acme: AcmeSources): { at: Date; why: 'ari window' | 'lifetime rule'; window: { start: string; end: string } | null; ariError: string | null } {
  const chosen = g.acme.renewalTime(acme.get(c.thumbprint));
  return chosen ? { ...chosen, at: new Date(chosen.at) } : { at: dueAt(c), why: 'lifetime rule', window: null, ariError: null };
}

/** When a certificate that renews by itself is due: a third of its lifetime left, or half for one under 10 days. */
export function dueAt(c: Pick<Certificate, 'notBefore' | 'notAfter'>): Date {
  const start = Date.parse(c.notBefore);
  const life = Date.parse(c.notAfter) - start;
  return new Date(start + life * (life < 10 * DAY_MS ? 1 / 2 : 2 / 3));
}

/** `renewal list`: every server certificate with a private key (or those of `of`: one page of the console's list), its source, next renewal and last attempt. */
export function renewalStatus(g: Gatehouse, sources: RenewalSources = {}, only?: (c: Certificate, next: Date) => boolean, of?: Certificate[]): RenewalStatus[] {
  const latest = g.renewals.latest();
  const acme = g.acme.sources();
  return (of ?? g.certificates.list()).filter((c) => c.hasPrivateKey && (only?.(c, plannedRenewal(g, c, acme).at) ?? true)).map((c) => {
    const source = renewalSource(g, c, sources, acme.get(c.thumbprint));
    const last = latest.get(c.thumbprint);
    const replacement = g.renewals.asReplacement(c.thumbprint);
    const next = source === 'manual' || (last?.outcome === 'renewed') ? null : plannedRenewal(g, c, acme);
    return {
      thumbprint: c.thumbprint, friendlyName: c.friendlyName, notAfter: c.notAfter, source,
      nextRenewal: next?.at.toISOString() ?? null, nextRenewalWhy: next?.why ?? null, ariWindow: next?.window ?? null, ariError: next?.ariError ?? null,
      replacedBy: last?.outcome === 'renewed' ? last.new : null,
      lastAttempt: last ? { renewal: last.id, started: last.started, finished: last.finished, outcome: last.outcome, detail: last.detail } : null,
      failedProbe: replacement?.outcome === 'rolled-back' ? replacement.detail : null,
      uses: g.renewals.plan(c.thumbprint).length,
    };
  });
}

export interface DryRun {
  dryRun: true;
  thumbprint: string;
  friendlyName: string;
  source: string;
  moves: RenewalMove[];
  /** The handshakes the probe would make (after the move, asked of the same selection code). */
  probes: ProbeTarget[];
}

/**
 * `renewal run REF`: renews now, in the foreground, through the certificate's source's renewer,
 * then runs the transaction. A manual certificate is refused (`cert renew` is its way);
 * `dryRun` says what would move and which endpoints would be probed, and changes nothing.
 */
export async function runRenewal(g: Gatehouse, ref: string, options: { dryRun?: boolean; sources?: RenewalSources } & Omit<TransactionOptions, 'source'>): Promise<RenewalReport | DryRun> {
  const old = g.certificates.show(ref);
  const source = renewalSource(g, old, options.sources);
  const renewer = renewerFor(g, source, options.sources, options.progress);
  if (!renewer) {
    throw fail('GH_RENEWAL_MANUAL', `"${old.friendlyName}" comes from ${source === 'manual' ? `a CA Gatehouse cannot ask by itself (${old.issuedBy})` : `${source}, which has no renewer here`}; renew it with ${act('cert-renew', old.thumbprint.slice(0, 12))} and complete the request with the CA's answer.`);
  }
  if (options.dryRun) {
    return { dryRun: true, thumbprint: old.thumbprint, friendlyName: old.friendlyName, source, moves: g.renewals.plan(old.thumbprint), probes: probeTargets(g.serving.config(), old.thumbprint, old.sans) };
  }
  options.progress?.(`renewing "${old.friendlyName}" from ${source}`);
  let newThumbprint: string;
  try {
    newThumbprint = await renewer.renew(old);
  } catch (e) {
    const detail = `the ${source} source could not issue: ${(e as Error).message}`;
    const r = g.renewals.failed(old.thumbprint, null, source, detail);
    const report: RenewalReport = { renewal: r.id, old: { thumbprint: old.thumbprint, friendlyName: old.friendlyName }, new: { thumbprint: '', friendlyName: '' }, source, outcome: 'failed', probed: false, detail, moves: [], probes: [], timings: NO_TIMINGS };
    await announce(report, options);
    return report;
  }
  return renewTransaction(g, old.thumbprint, newThumbprint, { ...options, source });
}
