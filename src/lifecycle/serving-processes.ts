import { hostname } from 'node:os';
import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import type { GatehouseStore, NodeRow, ProcessRow } from '../store/gatehouse-store.js';

/** How often a serving process says it is alive (besides after every revision it applies). */
export const HEARTBEAT_MS = 5_000;
/** A process not heard from for this long is taken for gone (three heartbeats). */
export const LIVE_MS = 3 * HEARTBEAT_MS;

/** A serving process as the control plane sees it. */
export interface ServingProcess extends ProcessRow {
  /** Whether it reported within the last LIVE_MS (and, on this host, its pid still runs). */
  live: boolean;
}

/** What `serve status` shows: the store's revision and every process serving it. */
export interface ServingStatus {
  revision: number;
  processes: ServingProcess[];
}

/**
 * The serving processes of a store and the revision each one serves. Each serving process reports
 * itself (`join`, `report` after every revision it applies, a heartbeat); the control plane reads
 * them to know whether `serve` runs at all (a CA's challenge needs it) and to wait until every one
 * of them serves a revision (a renewal is probed only after that). Reports are not changes: no
 * audit record, no new revision. Later a farm's nodes report the same way through a shared store.
 */
export class ServingProcesses {
  readonly #host = hostname();

  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date) {}

  /** This process's reporter: call `report` after each revision it applies, `leave` when it ends. */
  reporter(role: 'worker' | 'single'): ProcessReporter {
    // A worker's node is its supervisor (its parent); a single process is a node by itself.
    const node = `${this.#host}:${role === 'worker' ? process.ppid : process.pid}`;
    return new ProcessReporter(this.store, this.clock, { id: `${this.#host}:${process.pid}`, host: this.#host, pid: process.pid, node, role });
  }

  /** This `serve` supervisor's (or single process's) row as a node of the farm: heartbeat until `leave`. */
  nodeReporter(info: { version: string; admin: string | null }): NodeReporter {
    return new NodeReporter(this.store, this.clock, { id: `${this.#host}:${process.pid}`, host: this.#host, pid: process.pid, ...info });
  }

  /**
   * The farm: every node (a `serve` supervisor) that reported on this store, the revision it serves
   * (the lowest of its live serving processes'), its lag behind the store's revision and since its
   * last report, and whether it is live, stale (not heard from in LIVE_MS, or its pid is gone on this
   * host) or stopped.
   */
  farm(): FarmStatus {
    const now = this.clock().getTime();
    const { revision, processes } = this.status();
    const rows = new Map(this.store.farm.list().map((n) => [n.id, n]));
    // Serving processes whose node wrote no row (a `serve` older than farms, a test) still count.
    for (const p of processes) {
      const id = p.node ?? p.id;
      if (!rows.has(id)) rows.set(id, { id, host: p.host, pid: Number(id.slice(id.lastIndexOf(':') + 1)), version: '', admin: null, started: p.started, seen: p.seen, stopped: null });
    }
    const nodes = [...rows.values()].map((n): FarmNode => {
      const mine = processes.filter((p) => (p.node ?? p.id) === n.id);
      const live = mine.filter((p) => p.live);
      const seen = [n.seen, ...mine.map((p) => p.seen)].sort().at(-1)!;
      const served = live.length > 0 ? Math.min(...live.map((p) => p.revision)) : null;
      const state = n.stopped !== null ? 'stopped' : now - Date.parse(seen) <= LIVE_MS && (n.host !== this.#host || running(n.pid)) ? 'live' : 'stale';
      return {
        ...n, seen, state, revision: served, processes: live.length,
        listeners: [...new Set(mine.flatMap((p) => p.listeners))].sort(),
        lag: { revisions: served === null ? null : revision - served, seconds: Math.max(0, Math.round((now - Date.parse(seen)) / 1000)) },
      };
    });
    return { revision, nodes: nodes.sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid) };
  }

  status(): ServingStatus {
    const now = this.clock().getTime();
    const rows = this.store.processes.list();
    return {
      revision: this.store.revision(),
      processes: rows.map((r) => ({ ...r, live: now - Date.parse(r.seen) <= LIVE_MS && (r.host !== this.#host || running(r.pid)) })),
    };
  }

  /** The live processes; GH_SERVE_NOT_RUNNING when there is none. */
  live(): ServingProcess[] {
    const live = this.status().processes.filter((p) => p.live);
    if (live.length === 0) {
      throw fail('GH_SERVE_NOT_RUNNING', `No serving process has reported on this store in the last ${LIVE_MS / 1000} seconds; start the serving plane ` +
        `on this store (${act('serve-status')} shows what runs).`);
    }
    return live;
  }

  /**
   * Resolves once every live serving process serves `revision` or a later one (a process that
   * stops reporting meanwhile no longer counts); GH_SERVE_NOT_RUNNING when none runs,
   * GH_SERVE_BEHIND naming the laggards after `timeoutMs`.
   */
  async waitFor(revision: number, options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<ServingProcess[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.live();
      const behind = live.filter((p) => p.revision < revision);
      if (behind.length === 0) return live;
      if (Date.now() >= deadline || options.signal?.aborted) {
        throw fail('GH_SERVE_BEHIND', `${behind.length} of ${live.length} serving process(es) did not apply revision ${revision} within ${Math.round(timeoutMs / 1000)} s: ` +
          `${behind.map((p) => `${p.id} serves ${p.revision}`).join(', ')}. Their log says why; ${act('serve-status')} shows them.`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  }
}

/** A node of the farm as `farm status` shows it. */
export interface FarmNode extends NodeRow {
  /** `live`: reported within LIVE_MS; `stale`: not heard from since (or its pid is gone on this host); `stopped`: it said it stopped. */
  state: 'live' | 'stale' | 'stopped';
  /** The revision it serves (the lowest of its live serving processes'), or null when none of them is live. */
  revision: number | null;
  /** Its live serving processes. */
  processes: number;
  /** What its serving processes listen on (`https 127.0.0.1:443`). */
  listeners: string[];
  /** How far behind it is: the store's revision minus the one it serves, and seconds since it last reported. */
  lag: { revisions: number | null; seconds: number };
}

export interface FarmStatus {
  /** The store's revision. */
  revision: number;
  nodes: FarmNode[];
}

/** Nodes not heard from for this long are forgotten when another node starts. */
const FORGET_NODE_MS = 24 * 3600_000;

/** A node's row in the store, kept current by a heartbeat, marked stopped by `leave`. */
export class NodeReporter {
  readonly #row: NodeRow;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date, me: Omit<NodeRow, 'started' | 'seen' | 'stopped'>) {
    const now = clock().toISOString();
    this.#row = { ...me, started: now, seen: now, stopped: null };
    try {
      this.store.briefly(() => this.store.farm.prune(new Date(clock().getTime() - FORGET_NODE_MS).toISOString()));
    } catch {
      // A busy store: the next node to start forgets them.
    }
    this.#write();
    this.#timer = setInterval(() => this.#write(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  leave(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#row.stopped = this.clock().toISOString();
    this.#write();
  }

  /** A start that failed: the row goes (a node that never served is not listed as stale until forgotten). */
  forget(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.store.farm.remove(this.#row.id);
    } catch {
      // The store is gone: the row is forgotten a day later.
    }
  }

  #write(): void {
    try {
      this.store.briefly(() => this.store.farm.report({ ...this.#row, seen: this.clock().toISOString() }));
    } catch {
      // A busy or full store: the next heartbeat tries again.
    }
  }
}

/** One serving process's row in the store, kept current. */
export class ProcessReporter {
  readonly #started: string;
  #revision = 0;
  #listeners: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date, private readonly me: { id: string; host: string; pid: number; node: string; role: string }) {
    this.#started = clock().toISOString();
  }

  /** Says which revision this process serves now (and what it listens on), and starts the heartbeat. */
  report(revision: number, listeners?: string[]): void {
    this.#revision = revision;
    if (listeners) this.#listeners = listeners;
    this.#write();
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#write(), HEARTBEAT_MS);
      this.#timer.unref();
    }
  }

  leave(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.store.briefly(() => this.store.processes.remove(this.me.id));
    } catch {
      // The store may be gone already (closed, disk removed): the row ages out.
    }
  }

  #write(): void {
    try {
      this.store.briefly(() => this.store.processes.report({ ...this.me, revision: this.#revision, started: this.#started, seen: this.clock().toISOString(), listeners: this.#listeners }));
    } catch {
      // A busy or full store: the next heartbeat tries again; serving never stops for a report.
    }
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
