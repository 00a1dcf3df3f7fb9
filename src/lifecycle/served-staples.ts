import type { GatehouseStore } from '../store/gatehouse-store.js';

/** A staple to serve: the response's DER and the instant after which it must not be sent any more. */
export interface Staple {
  response: Buffer;
  until: number;
  status: string;
}

/** How long a response without nextUpdate may be stapled after its thisUpdate. */
export const NO_NEXT_UPDATE_MS = 24 * 3_600_000;

/**
 * The serving processes' side of OCSP stapling: the staple kept for a certificate, if one may be sent
 * now. Apart from OcspStaples (which fetches and checks responses with the OCSP library) so that a
 * serve worker, which only reads them, does not load that library.
 */
export class ServedStaples {
  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date) {}

  staple(thumbprint: string): Staple | undefined {
    const row = this.store.briefly(() => this.store.ocsp.get(thumbprint));
    if (!row?.response || !row.thisUpdate || (row.status !== 'good' && row.status !== 'revoked')) return undefined;
    const until = row.nextUpdate ? Date.parse(row.nextUpdate) : Date.parse(row.thisUpdate) + NO_NEXT_UPDATE_MS;
    if (until <= this.clock().getTime()) return undefined;
    return { response: row.response, until, status: row.status };
  }
}
