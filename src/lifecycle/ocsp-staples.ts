import { buildOcspRequest, ocspResponderUrl, readOcspResponse, type OcspAnswer } from '../pki/ocsp.js';
import type { GatehouseStore, StapleRow } from '../store/gatehouse-store.js';
import { ServedStaples, type Staple } from './served-staples.js';

/** A certificate that can carry a staple: served, naming an OCSP responder, with its issuer known. */
export interface StapleTarget {
  thumbprint: string;
  friendlyName: string;
  url: string;
  /** The OCSP request for it (DER), ready to post. */
  request: Buffer;
  leafDer: Buffer;
  issuerDer: Buffer;
  /** What is kept for it so far. */
  kept: StapleRow | undefined;
}

export { NO_NEXT_UPDATE_MS, type Staple } from './served-staples.js';

/**
 * OCSP stapling's use cases over the store: which served certificates can carry a staple (those
 * whose certificate names an OCSP responder — none for Let's Encrypt since 2025, so no OCSP traffic
 * for them), keeping a response only after it is checked against the certificate and its issuer,
 * recording failures while the previous staple stays, and the staple a handshake may send (never
 * one past its nextUpdate, never one for another certificate: staples are kept by thumbprint and
 * checked against that certificate before they are kept).
 */
export class OcspStaples {
  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date) {}

  /** Every certificate on an https binding or the https default that names an OCSP responder and whose issuer is stored with it. */
  targets(): StapleTarget[] {
    const used = new Set<string>();
    for (const b of this.store.sites.bindings()) if (b.certificate) used.add(b.certificate);
    const https = this.store.services.certificateOf('https');
    if (https) used.add(https);
    const targets: StapleTarget[] = [];
    for (const thumbprint of used) {
      const row = this.store.certificates.get(thumbprint);
      if (!row) continue;
      const { der, chain } = this.store.certificates.der(thumbprint);
      const url = ocspResponderUrl(der);
      const issuerDer = chain[0];
      if (!url || !issuerDer) continue;
      targets.push({ thumbprint, friendlyName: row.friendlyName, url, request: buildOcspRequest(der, issuerDer), leafDer: der, issuerDer, kept: this.store.ocsp.get(thumbprint) });
    }
    return targets;
  }

  /**
   * Checks a responder's answer for `target` and keeps it as the staple; throws GH_OCSP_INVALID
   * (recorded as a failure, the previous staple kept) when it cannot be stapled. An answer older
   * than the one kept is not kept.
   */
  keep(target: StapleTarget, response: Buffer): OcspAnswer {
    const at = this.clock().toISOString();
    let answer: OcspAnswer;
    try {
      answer = readOcspResponse(response, target.leafDer, target.issuerDer);
    } catch (e) {
      this.failed(target, (e as Error).message);
      throw e;
    }
    const kept = target.kept?.thisUpdate ? Date.parse(target.kept.thisUpdate) : 0;
    if (answer.thisUpdate.getTime() < kept) {
      this.failed(target, `the responder answered with an older response (${answer.thisUpdate.toISOString()}) than the one kept`);
      return answer;
    }
    this.store.ocsp.keep(target.thumbprint, target.url, at, {
      status: answer.status, thisUpdate: answer.thisUpdate.toISOString(), nextUpdate: answer.nextUpdate?.toISOString() ?? null, response,
    });
    return answer;
  }

  failed(target: Pick<StapleTarget, 'thumbprint' | 'url'>, error: string): void {
    this.store.ocsp.failed(target.thumbprint, target.url, this.clock().toISOString(), error.slice(0, 500));
  }

  /** The staple a handshake for `thumbprint` may send now, or undefined (none kept, expired, or "unknown"). */
  staple(thumbprint: string): Staple | undefined {
    return new ServedStaples(this.store, this.clock).staple(thumbprint);
  }

  list(): StapleRow[] {
    return this.store.ocsp.list();
  }
}
