import type { Certificate } from '../model/certificate.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { Renewer } from './renewer.js';

/**
 * Renews a certificate ACME issued, through the account it came from (`acme:ACCOUNT`): a new
 * request with the old certificate's names and key type (a new key), an order that carries
 * `replaces` (the old certificate's ARI identifier) where the CA has ARI, validated with the
 * challenge type the original issuance used; the new certificate is installed, not yet used — the
 * transaction moves, probes, commits or rolls back. A failed order cancels the request, so the
 * next try starts clean; the daily bound of orders (AcmeManager) holds for renewals too.
 */
export class AcmeRenewer implements Renewer {
  constructor(private readonly g: Gatehouse, readonly account: string, private readonly progress?: (line: string) => void) {}

  async renew(old: Certificate): Promise<string> {
    const source = this.g.acme.sourceOf(old.thumbprint);
    const request = await this.g.requests.renew(old.thumbprint);
    try {
      const installed = await this.g.acme.issue(request.id, this.account, {
        challenge: source?.challenge, replaces: source?.ariId ?? undefined, ...(this.progress ? { progress: this.progress } : {}),
      });
      return installed.thumbprint;
    } catch (e) {
      try {
        this.g.requests.cancel(request.id);
      } catch {
        // Already gone; the order's own error is what to report.
      }
      throw e;
    }
  }
}
