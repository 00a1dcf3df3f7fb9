import { normalizeHost, wildcardOf } from '../config/host-match.js';
import type { MailService } from '../model/service.js';

/** What the mail plane knows of a certificate to choose it: names, validity, whether its key is here. */
export interface MailCertificate {
  thumbprint: string;
  friendlyName: string;
  sans: readonly string[];
  notAfter: string;
  hasPrivateKey: boolean;
}

export interface MailSelection {
  thumbprint: string | null;
  /** Which rule decided: the SNI name exactly, by a wildcard, the service's assigned certificate, or none. */
  rule: 'sni-exact' | 'sni-wildcard' | 'assigned' | 'none';
}

/**
 * Certificate selection for mail listeners, pure and built once per revision: a client that sends
 * SNI gets the best certificate whose names cover it — an exact name before a wildcard; among
 * those a valid one before an expired one, then the service's assigned certificate, then the one
 * that expires last — and otherwise (no SNI, or no certificate covers the name) the service's assigned
 * certificate, as Exchange presents its default SMTP certificate. Only certificates with their
 * private key here take part: nothing else can serve TLS.
 */
export class MailCertificateSelector {
  /** name (lower case, `*.` for wildcards) → certificates that carry it. */
  readonly #byName = new Map<string, MailCertificate[]>();
  readonly #names = new Map<string, string>();

  constructor(
    certificates: readonly MailCertificate[],
    private readonly assigned: Partial<Record<MailService, string>>,
    private readonly now: Date,
  ) {
    for (const c of certificates) {
      this.#names.set(c.thumbprint, c.friendlyName);
      if (!c.hasPrivateKey) continue;
      for (const n of new Set(c.sans.map((s) => s.toLowerCase()))) {
        const list = this.#byName.get(n) ?? [];
        list.push(c);
        this.#byName.set(n, list);
      }
    }
  }

  /** A certificate's friendly name for the log (its thumbprint when it is gone). */
  friendlyName(thumbprint: string): string {
    return this.#names.get(thumbprint) ?? thumbprint;
  }

  select(service: MailService, servername: string | undefined): MailSelection {
    const name = normalizeHost(servername);
    const assigned = this.assigned[service] ?? null;
    if (name !== '') {
      const exact = this.#best(this.#byName.get(name), assigned);
      if (exact) return { thumbprint: exact, rule: 'sni-exact' };
      const pattern = wildcardOf(name);
      const wild = pattern ? this.#best(this.#byName.get(pattern), assigned) : undefined;
      if (wild) return { thumbprint: wild, rule: 'sni-wildcard' };
    }
    return assigned ? { thumbprint: assigned, rule: 'assigned' } : { thumbprint: null, rule: 'none' };
  }

  #best(list: readonly MailCertificate[] | undefined, assigned: string | null): string | undefined {
    if (!list || list.length === 0) return undefined;
    const now = this.now.getTime();
    const rank = (c: MailCertificate): [number, number, number] => [Date.parse(c.notAfter) > now ? 0 : 1, c.thumbprint === assigned ? 0 : 1, -Date.parse(c.notAfter)];
    let best = list[0]!;
    for (const c of list.slice(1)) {
      const a = rank(c);
      const b = rank(best);
      const better = a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || (c.thumbprint < best.thumbprint ? -1 : 1);
      if (better < 0) best = c;
    }
    return best.thumbprint;
  }
}
