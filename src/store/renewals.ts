import type { StoreEngine } from './engine.js';

/** How a renewal ended: `renewed` (committed), `rolled-back` (the probe failed; every use moved back), `failed` (nothing was moved). */
export type RenewalOutcome = 'renewed' | 'rolled-back' | 'failed';

export interface RenewalRow {
  id: number;
  /** The thumbprint of the certificate renewed. */
  old: string;
  /** The thumbprint of its replacement, once there is one. */
  new: string | null;
  /** Where the replacement came from: manual, internal, acme:ACCOUNT. */
  source: string;
  started: string;
  finished: string | null;
  /** null while the transaction runs. */
  outcome: RenewalOutcome | null;
  detail: string;
  /** The uses moved (JSON: what lifecycle's RenewalMove says). */
  moves: unknown[];
  /** The probes made (null: not probed). */
  probes: unknown[] | null;
}

/** Renewal transactions (table `renewals`): their history per certificate, and what they moved. */
export class RenewalRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Starts a renewal's row; call inside `change` or `record`. */
  insert(r: Pick<RenewalRow, 'old' | 'new' | 'source' | 'started' | 'moves'>): number {
    return this.engine.db.get<{ id: number }>('INSERT INTO renewals (old, new, source, started, moves) VALUES (?, ?, ?, ?, ?) RETURNING id',
      r.old, r.new, r.source, r.started, JSON.stringify(r.moves))!.id;
  }

  /** Records how a renewal ended; call inside `change` or `record`. */
  finish(id: number, f: { finished: string; outcome: RenewalOutcome; detail: string; probes: unknown[] | null }): void {
    this.engine.db.run('UPDATE renewals SET finished = ?, outcome = ?, detail = ?, probes = ? WHERE id = ?', f.finished, f.outcome, f.detail, f.probes === null ? null : JSON.stringify(f.probes), id);
  }

  get(id: number): RenewalRow | undefined {
    const row = this.engine.db.get<RawRenewal>('SELECT * FROM renewals WHERE id = ?', id);
    return row && toRenewal(row);
  }

  /** The renewals a certificate took part in (as the old or the new one), newest first. */
  of(thumbprint: string): RenewalRow[] {
    return this.engine.db.all<RawRenewal>('SELECT * FROM renewals WHERE old = ? OR new = ? ORDER BY id DESC', thumbprint, thumbprint).map(toRenewal);
  }

  /**
   * Takes (or extends) the lease `name` for `holder` until `expires` when it is free, expired or
   * already `holder`'s; answers whether `holder` holds it. Not a change: no audit record, no revision.
   */
  lease(name: string, holder: string, now: string, expires: string): boolean {
    return this.engine.db.transaction('immediate', () => {
      const row = this.engine.db.get<{ holder: string; expires: string }>('SELECT holder, expires FROM leases WHERE name = ?', name);
      if (row && row.holder !== holder && row.expires > now) return false;
      this.engine.db.run('INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires', name, holder, expires);
      return true;
    });
  }

  /** Gives the lease up, if `holder` has it. */
  release(name: string, holder: string): void {
    this.engine.db.run('DELETE FROM leases WHERE name = ? AND holder = ?', name, holder);
  }

  /** The newest renewal of each certificate renewed (by `old`). */
  latest(): RenewalRow[] {
    return this.engine.db.all<RawRenewal>('SELECT r.* FROM renewals r WHERE r.id = (SELECT MAX(id) FROM renewals x WHERE x.old = r.old) ORDER BY r.id').map(toRenewal);
  }
}

interface RawRenewal {
  id: number;
  old: string;
  new: string | null;
  source: string;
  started: string;
  finished: string | null;
  outcome: RenewalOutcome | null;
  detail: string;
  moves: string;
  probes: string | null;
}

function toRenewal(r: RawRenewal): RenewalRow {
  return {
    id: r.id, old: r.old, new: r.new, source: r.source, started: r.started, finished: r.finished, outcome: r.outcome, detail: r.detail,
    moves: JSON.parse(r.moves) as unknown[], probes: r.probes === null ? null : JSON.parse(r.probes) as unknown[],
  };
}
