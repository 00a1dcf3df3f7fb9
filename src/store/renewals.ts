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
   * already `holder`'s; answers its fencing token when `holder` holds it, else undefined. The token
   * grows by one on every take-over (the lease was free, ran out, or was someone else's) and stays
   * while the same holder extends a live lease: work done under a token is fenced off once a newer
   * one exists (StoreEngine.fenced). Not a change: no audit record, no revision.
   */
  lease(name: string, holder: string, now: string, expires: string): number | undefined {
    // One statement, so two nodes racing for a lease that ran out cannot both take it: the upsert
    // locks the row (PostgreSQL re-checks the condition on the row another node just wrote).
    const row = this.engine.db.get<{ token: number | string }>(
      `INSERT INTO leases (name, holder, expires, token) VALUES (?, ?, ?, 1)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires,
         token = CASE WHEN leases.holder = excluded.holder AND leases.expires > ? THEN leases.token ELSE leases.token + 1 END
       WHERE leases.holder = excluded.holder OR leases.expires <= ?
       RETURNING token`,
      name, holder, expires, now, now);
    return row === undefined ? undefined : Number(row.token);
  }

  /** Gives the lease up, if `holder` has it: it runs out at once (the row and its token stay, so tokens only grow). */
  release(name: string, holder: string): void {
    this.engine.db.run("UPDATE leases SET expires = '' WHERE name = ? AND holder = ?", name, holder);
  }

  /** The renewals still open (moved, neither committed nor rolled back) that started before `before` (ISO time), oldest first. */
  unfinished(before: string): RenewalRow[] {
    return this.engine.db.all<RawRenewal>('SELECT * FROM renewals WHERE finished IS NULL AND started < ? ORDER BY id', before).map(toRenewal);
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
