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
      const result = fn();
      const c = describe(result);
      const actor = this.#actorScope.getStore() ?? this.actor;
      this.db.run('INSERT INTO audit (at, actor, origin, source, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        this.clock().toISOString(), actor.name, actor.origin, actor.source ?? '', c.action, c.target, json(c.before), json(c.after));
      if (bump) this.db.run("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'");
      return result;
    });
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
