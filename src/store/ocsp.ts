import type { StoreEngine } from './engine.js';

/** The last OCSP response kept for a certificate, and how fetching it went. */
export interface StapleRow {
  thumbprint: string;
  url: string;
  /** good | revoked | unknown, from the last response kept; null before the first. */
  status: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  /** When the kept response was fetched. */
  fetched: string | null;
  /** When a fetch was last tried (successful or not). */
  attempted: string;
  /** Failed fetches since the last good one. */
  failures: number;
  lastError: string | null;
  /** The DER of the kept response: what is stapled. */
  response: Buffer | null;
}

interface RawStaple {
  thumbprint: string; url: string; status: string | null; this_update: string | null; next_update: string | null; fetched: string | null;
  attempted: string; failures: number; last_error: string | null; response: Uint8Array | null;
}

/**
 * Table `ocsp_staples`: the OCSP response each certificate staples, kept across restarts. Written
 * by the serving plane's refresher; not a change (no audit record, no revision: a staple is read
 * by the serving processes on their own clock, and what is served does not otherwise change).
 * A removed certificate takes its staple with it (ON DELETE CASCADE).
 */
export class OcspRepository {
  constructor(private readonly engine: StoreEngine) {}

  get(thumbprint: string): StapleRow | undefined {
    const r = this.engine.db.get<RawStaple>('SELECT * FROM ocsp_staples WHERE thumbprint = ?', thumbprint);
    return r && toRow(r);
  }

  list(): StapleRow[] {
    return this.engine.db.all<RawStaple>('SELECT * FROM ocsp_staples ORDER BY thumbprint').map(toRow);
  }

  /** Keeps a checked response as the certificate's staple. */
  keep(thumbprint: string, url: string, at: string, answer: { status: string; thisUpdate: string; nextUpdate: string | null; response: Buffer }): void {
    this.engine.db.run(
      `INSERT INTO ocsp_staples (thumbprint, url, status, this_update, next_update, fetched, attempted, failures, last_error, response)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)
       ON CONFLICT (thumbprint) DO UPDATE SET url = excluded.url, status = excluded.status, this_update = excluded.this_update,
         next_update = excluded.next_update, fetched = excluded.fetched, attempted = excluded.attempted, failures = 0, last_error = NULL,
         response = excluded.response`,
      thumbprint, url, answer.status, answer.thisUpdate, answer.nextUpdate, at, at, answer.response);
  }

  /** Records a failed fetch; the kept response (if any) stays. */
  failed(thumbprint: string, url: string, at: string, error: string): void {
    this.engine.db.run(
      `INSERT INTO ocsp_staples (thumbprint, url, attempted, failures, last_error) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (thumbprint) DO UPDATE SET url = excluded.url, attempted = excluded.attempted, failures = ocsp_staples.failures + 1, last_error = excluded.last_error`,
      thumbprint, url, at, error);
  }
}

function toRow(r: RawStaple): StapleRow {
  return {
    thumbprint: r.thumbprint, url: r.url, status: r.status, thisUpdate: r.this_update, nextUpdate: r.next_update, fetched: r.fetched,
    attempted: r.attempted, failures: r.failures, lastError: r.last_error, response: r.response ? Buffer.from(r.response) : null,
  };
}
