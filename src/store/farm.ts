import type { StoreEngine } from './engine.js';

/** A node of the farm: one `serve` supervisor (or single serving process) and what it reports of itself. */
export interface NodeRow {
  /** `host:pid`. */
  id: string;
  host: string;
  pid: number;
  /** The Gatehouse version it runs. */
  version: string;
  /** Where its admin endpoint listens (`127.0.0.1:8443`), or null when it has none. */
  admin: string | null;
  started: string;
  seen: string;
  /** When it stopped cleanly; null while it runs (or when it ended without saying so). */
  stopped: string | null;
}

/**
 * Table `farm_nodes`: each `serve` supervisor writes its own row at start and as a heartbeat, and
 * marks it stopped when it ends (the row stays, so `farm status` can show it). Not a change: no
 * audit record, no revision.
 */
export class FarmRepository {
  constructor(private readonly engine: StoreEngine) {}

  report(row: NodeRow): void {
    this.engine.db.run(
      `INSERT INTO farm_nodes (id, host, pid, version, admin, started, seen, stopped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, admin = excluded.admin, started = excluded.started, seen = excluded.seen, stopped = excluded.stopped`,
      row.id, row.host, row.pid, row.version, row.admin, row.started, row.seen, row.stopped);
  }

  list(): NodeRow[] {
    return this.engine.db.all<NodeRow>('SELECT id, host, pid, version, admin, started, seen, stopped FROM farm_nodes ORDER BY host, pid').map((r) => ({ ...r, pid: Number(r.pid) }));
  }

  /** Forgets one node (its start failed). */
  remove(id: string): void {
    this.engine.db.run('DELETE FROM farm_nodes WHERE id = ?', id);
  }

  /** Forgets the nodes not heard from since `before` (ISO time). */
  prune(before: string): void {
    this.engine.db.run('DELETE FROM farm_nodes WHERE seen < ?', before);
  }
}
