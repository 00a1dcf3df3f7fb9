import { AsyncLocalStorage } from 'node:async_hooks';
import { fail } from '../model/gatehouse-error.js';
import type { Db } from './database.js';
import type { KeyVault } from './key-vault.js';

/** Who made a change and through which face; written to the audit log with every change. */
export interface Actor {
  name: string;
  origin: 'cli' | 'api' | 'console' | 'system';
  /** From where: the client's address for the API and console; empty for local commands. */
  source?: string;
}

/**
 * What the change log says a revision changed: a site (key: its name; its bindings are read with it),
 * a binding (key: protocol/ip/port/host), a certificate added or removed (key: its thumbprint; nothing
 * served reads certificate rows but their contexts), or `all` — anything else, or too many keys:
 * whoever follows the revision reads everything again.
 */
export type ChangeKind = 'site' | 'binding' | 'certificate' | 'all';

/** How many revisions the change log keeps; a serving process further behind reads everything. */
export const CHANGE_LOG_REVISIONS = 1000;
/** Past this many keys in one change, the change is logged as `all` (a bulk change is read in full). */
export const CHANGE_LOG_KEYS = 1000;

/** PostgreSQL: the NOTIFY channel of the store in the connection's current schema (a channel name is at most 63 bytes). */
const CHANNEL_SQL = "left('gatehouse_' || current_schema(), 63)";

/** A lease whose holder makes changes: each one checks, in its own transaction, that no newer holder took the lease over. */
export interface Fence {
  lease: string;
  holder: string;
  token: number;
}

/** What a change did, for the audit log. */
export interface Change {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

/**
 * The store's engine: the database, the key vault, the clock and the actor, and the one way to
 * write — `change`, a transaction that records itself in the audit log and bumps the revision the
 * serving plane follows. The table groups (keys, requests, certificates, …) are repositories over it.
 */
export class StoreEngine {
  /** The actor of the API call in progress, when it is not the store's own (see `runAs`). */
  readonly #actorScope = new AsyncLocalStorage<Actor>();
  /** Keys noted in the change log by the write in progress (outermost), and whether it fell back to `all`. */
  #noted = 0;
  #all = false;
  #writing = 0;
  /** The lease the work in progress runs under, if any (see `fenced`). */
  readonly #fenceScope = new AsyncLocalStorage<Fence>();

  constructor(
    readonly db: Db,
    readonly vault: KeyVault,
    readonly clock: () => Date,
    private readonly actor: Actor,
  ) {}

  close(): void {
    this.db.close();
  }

  /**
   * Runs `fn` — and everything it awaits — with changes recorded as made by `actor`: how one
   * admin process serving many users keeps each API call's audit records its own.
   */
  runAs<T>(actor: Actor, fn: () => T): T {
    return this.#actorScope.run(actor, fn);
  }

  /**
   * Runs `fn` — and everything it awaits — under the lease `fence`: every change and record it
   * makes first checks, in the same transaction, that the lease still has `fence.token` and
   * `fence.holder`, and is refused with GH_LEASE_LOST (nothing written) once a newer holder took it.
   */
  fenced<T>(fence: Fence, fn: () => T): T {
    return this.#fenceScope.run(fence, fn);
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction, then records the change in the audit log and bumps the
   * revision: every serving process rebuilds what it serves from the next revision.
   */
  change<T>(describe: (result: T) => Change, fn: () => T): T {
    return this.#write(describe, fn, true);
  }

  /**
   * Records something that changes nothing served (an export, a signature by the internal CA) in
   * the audit log, in one transaction with what `fn` writes, without bumping the revision.
   */
  record<T>(describe: (result: T) => Change, fn: () => T): T {
    return this.#write(describe, fn, false);
  }

  #write<T>(describe: (result: T) => Change, fn: () => T, bump: boolean): T {
    if (this.#writing === 0) {
      this.#noted = 0;
      this.#all = false;
    }
    this.#writing++;
    try {
      return this.db.transaction('immediate', () => {
        const before = this.#noted;
        const fence = this.#fenceScope.getStore();
        if (fence) this.#checkFence(fence);
        const result = fn();
        const c = describe(result);
        const actor = this.#actorScope.getStore() ?? this.actor;
        this.db.run('INSERT INTO audit (at, actor, origin, source, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          this.clock().toISOString(), actor.name, actor.origin, actor.source ?? '', c.action, c.target, json(c.before), json(c.after));
        if (bump) {
          // A change that said nothing of what it changed is read in full by whoever follows the revision.
          if (this.#noted === before && !this.#all) this.#log('all', '');
          this.db.run("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'");
          this.db.run("DELETE FROM change_log WHERE revision <= (SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'revision') - ?", CHANGE_LOG_REVISIONS);
          // Push: every serving process LISTENing on the store's channel hears the new revision when
          // (and only if) this transaction commits; it then reads it at once instead of at its next poll.
          if (this.db.engine === 'postgres') this.db.run(`SELECT pg_notify(${CHANNEL_SQL}, value) FROM meta WHERE name = 'revision'`);
        }
        return result;
      });
    } finally {
      this.#writing--;
    }
  }

  /**
   * Notes in the change log that the change in progress changed this row, under the revision the
   * change will have; call inside `change` (or `record`: the rows then belong to the next change).
   * The serving plane reads only the rows the log names since the revision it serves.
   */
  noteChange(kind: ChangeKind, key: string): void {
    if (this.#writing === 0 || this.#all) return;
    if (kind === 'all' || this.#noted >= CHANGE_LOG_KEYS) {
      this.#all = true;
      this.#log('all', '');
      return;
    }
    this.#noted++;
    this.#log(kind, key);
  }

  #log(kind: ChangeKind, key: string): void {
    this.db.run("INSERT INTO change_log (revision, kind, key) SELECT CAST(value AS INTEGER) + 1, ?, ? FROM meta WHERE name = 'revision'", kind, key);
  }

  /**
   * What the change log says changed after revision `since` (read inside `read`, with the current
   * revision): the kinds and keys, or undefined when the log no longer reaches back that far (it was
   * trimmed, or the store predates it) — then everything has to be read again.
   */
  changesSince(since: number): Array<{ kind: ChangeKind; key: string }> | undefined {
    const current = this.revision();
    if (current === since) return [];
    const oldest = this.db.get<{ r: number | null }>('SELECT MIN(revision) AS r FROM change_log')?.r;
    if (oldest === null || oldest === undefined || Number(oldest) > since + 1 || since > current) return undefined;
    return this.db.all<{ kind: ChangeKind; key: string }>('SELECT kind, key FROM change_log WHERE revision > ? AND revision <= ? ORDER BY revision', since, current)
      .map((r) => ({ kind: r.kind, key: r.key }));
  }

  #checkFence(f: Fence): void {
    // The no-op update takes the lease row's lock (PostgreSQL) for the rest of the transaction.
    if (this.db.run('UPDATE leases SET token = token WHERE name = ? AND holder = ? AND token = ?', f.lease, f.holder, f.token).changes === 1) return;
    const now = this.db.get<{ holder: string; token: number | string }>('SELECT holder, token FROM leases WHERE name = ?', f.lease);
    throw fail('GH_LEASE_LOST', `This process (${f.holder}) no longer holds the ${f.lease} lease: it ran out and ${now ? `${now.holder} holds it now (fencing token ${Number(now.token)}, this process had ${f.token})` : 'it was removed'}. ` +
      'This late change was refused and nothing was changed; the holder of the lease carries the work on.');
  }

  /** PostgreSQL: the channel every change NOTIFYs its revision on (see RevisionListener); undefined on SQLite. */
  notifyChannel(): string | undefined {
    return this.db.engine === 'postgres' ? this.db.get<{ c: string }>(`SELECT ${CHANNEL_SQL} AS c`)!.c : undefined;
  }

  /** The revision: bumped by every change to what is served. */
  revision(): number {
    return Number(this.db.get<{ value: string }>("SELECT value FROM meta WHERE name = 'revision'")!.value);
  }

  /** Checks (and on first use records) which master key the store's keys are sealed with. */
  checkMasterKey(): void {
    const row = this.db.get<{ value: string }>("SELECT value FROM meta WHERE name = 'master_key_id'");
    if (!row) {
      this.db.run("INSERT INTO meta (name, value) VALUES ('master_key_id', ?) ON CONFLICT (name) DO NOTHING", this.vault.keyId);
      return this.checkMasterKey();
    }
    if (row.value !== this.vault.keyId) {
      throw fail('GH_MASTER_KEY_INVALID', 'The master key is not the one this store was made with, so its private keys cannot be read. Restore the original master.key (or $GATEHOUSE_MASTER_KEY).');
    }
  }
}

function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}
