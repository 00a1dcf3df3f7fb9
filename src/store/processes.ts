import type { StoreEngine } from './engine.js';

/** One serving process's report: the revision it serves and when it last said so. */
export interface ProcessRow {
  /** `host:pid`. */
  id: string;
  host: string;
  pid: number;
  /** The node (`serve` supervisor, `host:pid`) it belongs to: its own id for a single process; null in rows written before farms. */
  node: string | null;
  /** `worker` (one of a supervisor's), `single` (`--workers 1`). */
  role: string;
  revision: number;
  started: string;
  seen: string;
  /** The listeners it has open, as `protocol ip:port` (`https 127.0.0.1:443`, `http *:80`, `smtp 127.0.0.1:587`). */
  listeners: string[];
}

type RawProcess = Omit<ProcessRow, 'listeners'> & { listeners: string };

/**
 * Table `serving_processes`: each serving process writes its own row (at start, after every
 * revision it applies, and as a heartbeat) and deletes it when it ends. Not a change: no audit
 * record, no revision — what is served does not change because a process said what it serves.
 */
export class ProcessRepository {
  constructor(private readonly engine: StoreEngine) {}

  report(row: ProcessRow): void {
    this.engine.db.run(
      `INSERT INTO serving_processes (id, host, pid, node, role, revision, started, seen, listeners) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET node = excluded.node, role = excluded.role, revision = excluded.revision, seen = excluded.seen, listeners = excluded.listeners`,
      row.id, row.host, row.pid, row.node, row.role, row.revision, row.started, row.seen, JSON.stringify(row.listeners));
  }

  list(): ProcessRow[] {
    return this.engine.db.all<RawProcess>('SELECT id, host, pid, node, role, revision, started, seen, listeners FROM serving_processes ORDER BY host, pid')
      .map((r) => ({ ...r, listeners: JSON.parse(r.listeners) as string[] }));
  }

  remove(id: string): void {
    this.engine.db.run('DELETE FROM serving_processes WHERE id = ?', id);
  }
}
