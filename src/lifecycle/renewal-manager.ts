import { X509Certificate } from 'node:crypto';
import { type Binding, bindingText } from '../model/binding.js';
import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import { MAIL_SERVICES, type ServiceName } from '../model/service.js';
import type { CertificateRow, GatehouseStore, RenewalOutcome, RenewalRow } from '../store/gatehouse-store.js';
import type { CertificateManager } from './certificate-manager.js';
import { TrustAnchors } from './trust-anchors.js';

/** One use of a certificate that a renewal moves: an https binding, or a service assignment (https is the server's default web certificate). */
export type RenewalMove =
  | { kind: 'binding'; site: string; protocol: 'https'; ip: string; port: number; host: string; text: string }
  | { kind: 'service'; service: ServiceName; text: string };

/** A renewal as every face shows it. */
export interface Renewal extends Omit<RenewalRow, 'moves'> {
  moves: RenewalMove[];
}

/** Where a renewal is in its transaction: the moves are made (and the renewal's id to finish it with). */
export interface MovedUses {
  renewal: number;
  revision: number;
  moves: RenewalMove[];
}

const NOT_YET_VALID_SLACK_MS = 5 * 60_000;
/** The name of the lease of the one renewing process (table `leases`). */
const RENEWAL_LEASE = 'renewal-scheduler';

/**
 * The store side of a renewal transaction: the uses of a certificate (every https binding, the
 * https default, every mail service assignment), moving all of them to its replacement in ONE store
 * change with ONE audit record that lists them, moving them back the same way, and the history of
 * every renewal (table `renewals`: old, new, source, outcome, detail, moves, probes). The probing
 * between the move and the commit is renewal/'s.
 */
export class RenewalManager {
  readonly #trust: TrustAnchors;

  constructor(
    private readonly store: GatehouseStore,
    private readonly certificates: CertificateManager,
    private readonly clock: () => Date,
  ) {
    this.#trust = new TrustAnchors(store);
  }

  /** Every use of `ref` a renewal would move, in the order the audit record lists them. */
  plan(ref: string): RenewalMove[] {
    return this.#uses(this.certificates.resolve(ref).thumbprint);
  }

  /**
   * Moves every use of `oldRef` to `newRef` in one store change (audit `certificate.renew`) and
   * opens the renewal's row. Refused — nothing changed — when the replacement cannot serve: no
   * private key, not yet or no longer valid, a root, the same certificate.
   */
  move(oldRef: string, newRef: string, source: string): MovedUses {
    const old = this.certificates.resolve(oldRef);
    const next = this.certificates.resolve(newRef);
    this.#assertCanReplace(old, next);
    const started = this.clock().toISOString();
    let moves: RenewalMove[] = [];
    const renewal = this.store.change(
      (id: number) => ({
        action: 'certificate.renew', target: `${old.thumbprint} → ${next.thumbprint}`,
        before: { certificate: old.thumbprint, friendlyName: old.friendlyName, uses: moves.map((m) => m.text) },
        after: { certificate: next.thumbprint, friendlyName: next.friendlyName, uses: moves.map((m) => m.text), renewal: id, source },
      }),
      () => {
        moves = this.#uses(old.thumbprint);
        this.#apply(moves, old.thumbprint, next.thumbprint);
        return this.store.renewals.insert({ old: old.thumbprint, new: next.thumbprint, source, started, moves });
      },
    );
    return { renewal, revision: this.store.revision(), moves };
  }

  /** Commits a renewal whose moves stay: the old certificate is now "replaced by" the new one. No new revision. */
  commit(id: number, detail: string, probes: unknown[] | null): Renewal {
    const r = this.#get(id);
    this.store.record(
      () => ({ action: 'renewal.renewed', target: r.old, after: { renewal: id, new: r.new, detail, probed: probes !== null } }),
      () => this.store.renewals.finish(id, { finished: this.clock().toISOString(), outcome: 'renewed', detail, probes }),
    );
    return this.show(id);
  }

  /**
   * Rolls a renewal back: every use it moved that the new certificate still has goes back to the
   * old one, in one store change (audit `certificate.renew-rollback`); the new certificate stays in
   * the store, its renewal marked rolled-back with `detail` ("failed probe: …").
   */
  rollback(id: number, detail: string, probes: unknown[] | null): { renewal: Renewal; revision: number } {
    const r = this.#get(id);
    let back: RenewalMove[] = [];
    this.store.change(
      () => ({ action: 'certificate.renew-rollback', target: `${r.new} → ${r.old}`, before: { certificate: r.new, uses: back.map((m) => m.text) }, after: { certificate: r.old, uses: back.map((m) => m.text), renewal: id, detail } }),
      () => {
        const current = new Set(this.#uses(r.new!).map((m) => m.text));
        back = (r.moves as RenewalMove[]).filter((m) => current.has(m.text));
        if (this.store.certificates.get(r.old)) this.#apply(back, r.new!, r.old);
        this.store.renewals.finish(id, { finished: this.clock().toISOString(), outcome: 'rolled-back', detail, probes });
      },
    );
    return { renewal: this.show(id), revision: this.store.revision() };
  }

  /** Records a renewal that failed before anything moved (the CA refused, the replacement could not serve). */
  failed(oldThumbprint: string, newThumbprint: string | null, source: string, detail: string): Renewal {
    const now = this.clock().toISOString();
    const id = this.store.record(
      () => ({ action: 'renewal.failed', target: oldThumbprint, after: { new: newThumbprint, source, detail } }),
      () => {
        const rid = this.store.renewals.insert({ old: oldThumbprint, new: newThumbprint, source, started: now, moves: [] });
        this.store.renewals.finish(rid, { finished: now, outcome: 'failed', detail, probes: null });
        return rid;
      },
    );
    return this.show(id);
  }

  show(id: number): Renewal {
    return this.#get(id) as Renewal;
  }

  /** The renewals `ref` took part in, newest first; `ref` may also be the full thumbprint of a certificate since removed. */
  history(ref: string): Renewal[] {
    const hex = ref.replace(/[\s:]/g, '').toUpperCase();
    const thumbprint = /^[0-9A-F]{40}$/.test(hex) && !this.store.certificates.get(hex) ? hex : this.certificates.resolve(ref).thumbprint;
    return this.store.renewals.of(thumbprint) as Renewal[];
  }

  /** The renewals left open (moved, never committed or rolled back) that started more than `ageMs` ago: their process stopped mid-way. */
  unfinished(ageMs: number): Renewal[] {
    return this.store.renewals.unfinished(new Date(this.clock().getTime() - ageMs).toISOString()) as Renewal[];
  }

  /** The newest renewal of each certificate renewed, by old thumbprint. */
  latest(): Map<string, Renewal> {
    return new Map(this.store.renewals.latest().map((r) => [r.old, r as Renewal]));
  }

  /** The newest renewal a certificate took part in as the new one (a failed probe marks it). */
  asReplacement(thumbprint: string): Renewal | undefined {
    return this.store.renewals.of(thumbprint).find((r) => r.new === thumbprint) as Renewal | undefined;
  }

  /**
   * The renewal lease: only the process holding it renews (one scheduler per store, however many
   * `serve` processes run on it, on however many nodes). Taken or extended for `ttlMs`; answers its
   * fencing token (it grows on every take-over), or false when another holder has it.
   */
  lease(holder: string, ttlMs: number): number | false {
    const now = this.clock();
    // The scheduler's periodic first call (in the serving process): given up on quickly when PostgreSQL does not answer.
    return this.store.briefly(() => this.store.renewals.lease(RENEWAL_LEASE, holder, now.toISOString(), new Date(now.getTime() + ttlMs).toISOString())) ?? false;
  }

  /**
   * Runs `fn` (and everything it awaits) under the renewal lease as `holder` held it with `token`:
   * every store write it makes is refused with GH_LEASE_LOST, nothing written, once another node
   * has taken the lease over.
   */
  underLease<T>(holder: string, token: number, fn: () => T): T {
    return this.store.fenced({ lease: RENEWAL_LEASE, holder, token }, fn);
  }

  releaseLease(holder: string): void {
    try {
      this.store.renewals.release(RENEWAL_LEASE, holder);
    } catch {
      // The store is gone or busy: the lease expires by itself.
    }
  }

  /** Whether the internal CA issued the certificate (its signature verifies with the CA's key). */
  issuedByInternalCa(thumbprint: string): boolean {
    const ca = this.store.ca.get();
    if (!ca) return false;
    try {
      const cert = new X509Certificate(this.store.certificates.der(thumbprint).der);
      const issuer = new X509Certificate(ca.der);
      return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }

  /** The trust anchors (system, Trusted Root store, internal CA) as PEM: what a probe verifies a served chain against. */
  trustAnchorsPem(): string[] {
    return this.#trust.anchors().map((x) => x.toString());
  }

  #assertCanReplace(old: CertificateRow, next: CertificateRow): void {
    const now = this.clock().getTime();
    const refuse = (why: string) => fail('GH_RENEWAL_INVALID', `"${next.friendlyName}" cannot replace "${old.friendlyName}": ${why}; nothing was moved.`);
    if (old.thumbprint === next.thumbprint) throw refuse('it is the same certificate');
    if (next.store === 'root' || old.store === 'root') throw refuse('root CA certificates serve no site or service');
    if (next.keyId === null) throw refuse('it has no private key here, so it cannot serve TLS');
    if (Date.parse(next.notAfter) <= now) throw refuse(`it expired on ${next.notAfter}`);
    if (Date.parse(next.notBefore) > now + NOT_YET_VALID_SLACK_MS) throw refuse(`it is not valid until ${next.notBefore}`);
  }

  #uses(thumbprint: string): RenewalMove[] {
    const bindings = this.store.sites.bindingsUsing(thumbprint).filter((b) => b.protocol === 'https');
    const services = this.store.services.servicesOf(thumbprint);
    const order = (s: ServiceName) => (s === 'https' ? -1 : MAIL_SERVICES.indexOf(s));
    return [
      ...bindings.map((b): RenewalMove => ({ kind: 'binding', site: b.site, protocol: 'https', ip: b.ip, port: b.port, host: b.host, text: `binding ${bindingText(b)} (site "${b.site}")` })),
      ...[...services].sort((a, b) => order(a) - order(b)).map((s): RenewalMove => ({ kind: 'service', service: s, text: s === 'https' ? 'service https (the default web certificate)' : `service ${s}` })),
    ];
  }

  /** Moves `moves` from `from` to `to`; call inside `change`. */
  #apply(moves: readonly RenewalMove[], from: string, to: string): void {
    const key = (b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>) => `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
    const moving = new Set(moves.flatMap((m) => (m.kind === 'binding' ? [key(m)] : [])));
    this.store.sites.replaceBindings(this.store.sites.bindings().map((b) => (b.certificate === from && moving.has(key(b)) ? { ...b, certificate: to } : b)));
    for (const m of moves) if (m.kind === 'service' && this.store.services.certificateOf(m.service) === from) this.store.services.setCertificate(m.service, to);
  }

  #get(id: number): RenewalRow {
    const r = this.store.renewals.get(id);
    if (!r) throw fail('GH_RENEWAL_NOT_FOUND', `There is no renewal ${id}; ${act('renewal-history', 'REF')} lists a certificate's renewals.`);
    return r;
  }
}

export type { RenewalOutcome };
