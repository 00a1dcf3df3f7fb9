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
    return this.db.transaction('immediate', () => {
      const fence = this.#fenceScope.getStore();
      if (fence) this.#checkFence(fence);
      const result = fn();
      const c = describe(result);
      const actor = this.#actorScope.getStore() ?? this.actor;
      this.db.run('INSERT INTO audit (at, actor, origin, source, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        this.clock().toISOString(), actor.name, actor.origin, actor.source ?? '', c.action, c.target, json(c.before), json(c.after));
      if (bump) this.db.run("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'");
      return result;
    });
  }

  #checkFence(f: Fence): void {
    // The no-op update takes the lease row's lock (PostgreSQL) for the rest of the transaction.
    if (this.db.run('UPDATE leases SET token = token WHERE name = ? AND holder = ? AND token = ?', f.lease, f.holder, f.token).changes === 1) return;
    const now = this.db.get<{ holder: string; token: number | string }>('SELECT holder, token FROM leases WHERE name = ?', f.lease);
    throw fail('GH_LEASE_LOST', `This process (${f.holder}) no longer holds the ${f.lease} lease: it ran out and ${now ? `${now.holder} holds it now (fencing token ${Number(now.token)}, this process had ${f.token})` : 'it was removed'}. ` +
      'This late change was refused and nothing was changed; the holder of the lease carries the work on.');
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
