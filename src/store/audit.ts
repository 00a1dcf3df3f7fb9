import type { StoreEngine } from './engine.js';

/** One audit record: who, when, from where, what, before and after. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  origin: string;
  source: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

type RawAudit = Omit<AuditEntry, 'before' | 'after'> & { before: string | null; after: string | null };

/** The audit log (table `audit`), written by the engine with every change; read here. */
export class AuditRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Records at or after `since` (ISO time), oldest first; `limit` keeps the newest that many. */
  list(filter: { since?: string | undefined; limit?: number | undefined } = {}): AuditEntry[] {
    const db = this.engine.db;
    const rows = filter.limit === undefined
      ? db.all<RawAudit>('SELECT * FROM audit WHERE at >= ? ORDER BY id', filter.since ?? '')
      : db.all<RawAudit>('SELECT * FROM (SELECT * FROM audit WHERE at >= ? ORDER BY id DESC LIMIT ?) AS newest ORDER BY id', filter.since ?? '', filter.limit);
    return rows.map((r) => ({
      id: r.id, at: r.at, actor: r.actor, origin: r.origin, source: r.source, action: r.action, target: r.target,
      before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after),
    }));
  }
}
