import { type AffectedSite, reachedText, reachRefusal } from '../config/reached-sites.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';

/** A reached site as results carry it: the pure facts and the sentence that says them. */
export type ReachedSite = AffectedSite & { text: string };

/**
 * Names certificates and reached sites for the person who reads the answer: binding, site and
 * service changes report the other sites they reach in the same words.
 */
export class Reach {
  constructor(private readonly store: GatehouseStore) {}

  /** A certificate as messages name it: its friendly name, quoted (the thumbprint when it is gone). */
  certificateName(thumbprint: string): string {
    const row = this.store.certificates.get(thumbprint);
    return row ? `"${row.friendlyName}"` : thumbprint;
  }

  describe(affected: readonly AffectedSite[]): ReachedSite[] {
    return affected.map((a) => ({ ...a, text: reachedText(a, (t) => this.certificateName(t)) }));
  }

  /** Throws GH_BINDING_AFFECTS_OTHERS naming each reached site unless the caller forces the change. */
  check(what: string, affected: readonly AffectedSite[], force: boolean | undefined, advice: string): void {
    if (affected.length > 0 && !force) throw reachRefusal(what, affected, (t) => this.certificateName(t), advice);
  }
}
